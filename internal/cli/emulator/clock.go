package emulator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// ClockOptions is what `emulator clock` uses.
type ClockOptions struct {
	IO     *ui.IOStreams
	JSON   bool
	Now    func() time.Time
	Client func() (*api.Client, error)

	// Advance is how far to move the clock; 0 shows it.
	Advance time.Duration
}

// NewCmdClock returns `emulator clock`; runF replaces the run in tests.
func NewCmdClock(f *cmdutil.Factory, runF func(*ClockOptions) error) *cobra.Command {
	opts := &ClockOptions{IO: f.IOStreams, Now: f.Now, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "clock [show | advance DURATION]",
		Short: "Show the emulator's clock, or move it forward",
		Long: `Show the clock of the emulator at the base URL, or move it forward by
DURATION (90d, 12h, 1y, 30m, 90s), so that expiry, cooldowns, sessions and
rotation grace periods can be tried without waiting.

The clock only moves forward: it drives what has expired, and an expired key
or code never comes back (docs/api.md). A zero or negative DURATION is a usage
error, and so is a fraction of a second. The move is stored with the
emulator's data and survives a restart. Only an emulator answers this: the
real Zupy API has no such route.`,
		Example: `  zupy emulator clock                  # the emulator's time
  zupy emulator clock advance 25h      # a session has expired now
  zupy emulator clock advance 366d -o json`,
		ValidArgs: []cobra.Completion{"show", "advance"},
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0, len(args) == 1 && args[0] == "show":
				return nil
			case len(args) >= 1 && args[0] == "advance":
				if len(args) != 2 {
					return cmdutil.WithHint(cmdutil.Usagef("advance needs a DURATION"), "Run `zupy emulator clock advance 24h`")
				}
				return nil
			}
			return cmdutil.WithHint(cmdutil.Usagef("unknown argument %q for %q", args[0], cmd.CommandPath()),
				"Run `zupy emulator clock show` or `zupy emulator clock advance DURATION`")
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 2 {
				d, err := parseAdvance(args[1])
				if err != nil {
					return err
				}
				opts.Advance = d
			}
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return clockRun(cmd.Context(), opts)
		},
	}
	return cmd
}

// parseAdvance reads DURATION: positive, in whole seconds.
func parseAdvance(s string) (time.Duration, error) {
	d, err := apikey.ParseLifetime(s)
	if err != nil {
		return 0, cmdutil.WithHint(cmdutil.Usagef("invalid DURATION: %v", err),
			"The clock only moves forward: give a positive duration such as 90s, 30m, 12h, 90d or 1y")
	}
	if d%time.Second != 0 {
		return 0, cmdutil.Usagef("invalid DURATION %q: the clock moves in whole seconds", s)
	}
	return d, nil
}

func clockRun(ctx context.Context, opts *ClockOptions) error {
	client, err := opts.Client()
	if err != nil {
		return err
	}
	if err := refuseZupyAPI(client.BaseURL()); err != nil {
		return err
	}
	var now time.Time
	if opts.Advance > 0 {
		now, _, err = client.AdvanceClock(ctx, int64(opts.Advance/time.Second))
	} else {
		now, _, err = client.EmulatorClock(ctx)
	}
	if err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) && (apiErr.Kind() == api.KindNotFound || apiErr.Status == 405) {
			return cmdutil.WithHint(err, "Is the base URL an emulator? Start one with `zupy emulator start`")
		}
		return err
	}
	now = now.UTC()
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, struct {
			Now time.Time `json:"now"`
		}{now})
	}
	ahead := now.Sub(opts.Now()).Round(time.Second)
	where := "the same as this machine's clock"
	if ahead >= time.Minute {
		where = ui.FormatDuration(ahead) + " ahead of this machine's clock"
	}
	if opts.Advance > 0 {
		_, err = fmt.Fprintf(opts.IO.Out, "Moved the emulator's clock forward by %s: it is now %s (%s)\n", ui.FormatDuration(opts.Advance), now.Format(time.RFC3339), where)
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s (%s)\n", now.Format(time.RFC3339), where)
	return err
}
