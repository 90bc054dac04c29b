package keys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// UsageOptions is what `keys usage` uses.
type UsageOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Now      func() time.Time
	Settings func() (*config.Resolver, error)
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)

	KeyID    string
	Since    string // as the server takes it: "24h", "7d"
	Bucket   string // "" for auto
	Lineage  bool
	Watch    bool
	Interval time.Duration
}

// usageBuckets are the values of --bucket.
var usageBuckets = []string{"auto", wire.BucketMinute, wire.BucketHour, wire.BucketDay}

// NewCmdUsage returns `keys usage`; runF replaces the run in tests.
func NewCmdUsage(f *cmdutil.Factory, runF func(*UsageOptions) error) *cobra.Command {
	opts := &UsageOptions{IO: f.IOStreams, Now: f.Now, Settings: f.Settings, Client: f.Client, Resolver: f.Resolve.Credentials}
	var bucket string
	cmd := &cobra.Command{
		Use:   "usage [KEY_ID]",
		Short: "Show what an API key did: requests over time, scopes, addresses",
		Long: `Show an API key's use as the server recorded it: a chart of its requests
over time, split into 2xx, 4xx and 429 answers, with its rate limit drawn as a
line; its busiest minute against the limit ("peak 87 of 100 req/min at
14:02"); the scopes it was checked for, and those it holds but never used in
the window; and the client addresses it was called from. Times are the
server's (UTC).

Without KEY_ID the profile's default key is shown, or on a terminal a list of
the keys is offered to pick from. --since takes a duration (90m, 24h, 7d;
default 24h) or an RFC 3339 time. --bucket sets the width of a point (auto
lets the server choose: minutes up to 6 hours, hours up to 14 days, days
beyond). --lineage adds the keys of the key's rotation lineage, each as a row
under the chart on the same time axis: after a rotation, whether the old key
is still called. --watch redraws every --interval (default 5s) until Ctrl-C.

In a pipe each bucket is one tab-separated line: KEY_ID START REQUESTS OK
UNAUTHORIZED FORBIDDEN RATE_LIMITED (the lineage's keys after the key's own).
-o json prints the API's usage object.

A server that offers no usage data makes this fail with exit 1; an unknown key
exits 7.`,
		Example: `  zupy keys usage key_0123456789ab
  zupy keys usage key_0123456789ab --since 7d --lineage
  zupy keys usage key_0123456789ab --since 1h -o json | jq .totals`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil // the default key, or the picker
			}
			return cmdutil.ExactArgs("KEY_ID")(cmd, args)
		},
		ValidArgsFunction: completeKeyIDs(f, "all"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.KeyID, err = keyIDFrom(args); err != nil {
				return err
			}
			if err := cmdutil.OneOf("bucket", bucket, usageBuckets...); err != nil {
				return err
			}
			if bucket != "auto" {
				opts.Bucket = bucket
			}
			if opts.Since, err = parseSince(opts.Since); err != nil {
				return err
			}
			if cmd.Flags().Changed("interval") && !opts.Watch {
				return cmdutil.Usagef("--interval needs --watch")
			}
			if opts.Interval < time.Second {
				return cmdutil.Usagef("invalid --interval %s: must be at least 1s", opts.Interval)
			}
			opts.JSON = f.JSON()
			if opts.Watch && (opts.JSON || !opts.IO.IsStdoutTTY()) {
				return cmdutil.Usagef("--watch redraws a terminal: it cannot be combined with -o json or a pipe")
			}
			if runF != nil {
				return runF(opts)
			}
			return usageRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Since, "since", "24h", "Show the window from this `WHEN` (90m, 24h, 7d or an RFC 3339 time) until now")
	fl.StringVar(&bucket, "bucket", "auto", "Width of a point, a `BUCKET`: auto, minute, hour or day")
	fl.BoolVar(&opts.Lineage, "lineage", false, "Add the other keys of the key's rotation lineage")
	fl.BoolVar(&opts.Watch, "watch", false, "Redraw every --interval until Ctrl-C (a terminal only)")
	fl.DurationVar(&opts.Interval, "interval", 5*time.Second, "With --watch, how often to redraw (a `DURATION` like 5s)")
	_ = cmd.RegisterFlagCompletionFunc("bucket", cobra.FixedCompletions(usageBuckets, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parseSince checks --since: a positive duration, in days too (7d), or an
// RFC 3339 time, passed on to the server as written.
func parseSince(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.RFC3339, s); err == nil {
		return s, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n && days >= 1 && days <= 3650 {
			return s, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return s, nil
	}
	return "", cmdutil.Usagef("invalid --since %q: not a duration (90m, 24h, 7d) or an RFC 3339 time", s)
}

func usageRun(ctx context.Context, opts *UsageOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	if opts.KeyID == "" {
		opts.KeyID = defaultKeyID(opts.Settings)
	}
	if opts.KeyID == "" {
		if !opts.IO.CanPrompt() {
			return usageHint("Give a KEY_ID, or set a default key with `zupy keys create --save --default`", "missing KEY_ID: the profile has no default key")
		}
		if opts.KeyID, err = pickKey(ctx, opts.IO, s, "show the usage of", "all"); err != nil {
			return err
		}
	}
	q := api.UsageQuery{Since: opts.Since, Bucket: opts.Bucket, Lineage: opts.Lineage}
	fetch := func() (*api.KeyUsage, error) {
		u, _, err := s.client.KeyUsage(ctx, s.token(), opts.KeyID, q)
		if err != nil {
			return nil, usageError(s.wrap(err))
		}
		return u, nil
	}
	u, err := fetch()
	if err != nil {
		return err
	}
	switch {
	case opts.JSON:
		return ui.WriteJSON(opts.IO.Out, u)
	case !opts.IO.IsStdoutTTY():
		_, err := fmt.Fprint(opts.IO.Out, plainUsage(u))
		return err
	case !opts.Watch:
		_, err := fmt.Fprint(opts.IO.Out, renderUsage(opts.IO, u))
		return err
	}
	view := opts.IO.NewLiveView()
	for {
		view.Draw(renderUsage(opts.IO, u) + opts.IO.ColorScheme().Muted(fmt.Sprintf("every %s · Ctrl-C to stop", opts.Interval)) + "\n")
		select {
		case <-ctx.Done():
			return nil // Ctrl-C ends a watch: not a failure
		case <-time.After(opts.Interval):
		}
		next, err := fetch()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		u = next
	}
}

// usageError tells a server without usage data (a 404 of the route itself)
// from an unknown key (404 KEY_NOT_FOUND, exit 7).
func usageError(err error) error {
	var e *api.Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound && e.ServerCode() != wire.ErrKeyNotFound {
		return &cmdutil.CodedError{Kind: api.KindOther, Code: e.Code, Msg: "the API does not offer usage data (GET /api-keys/{key_id}/usage answered 404)"}
	}
	return err
}

// plainUsage is the script form: one line per bucket of each key.
func plainUsage(u *api.KeyUsage) string {
	var b strings.Builder
	write := func(id string, series []api.UsagePoint) {
		for _, p := range series {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", id, p.Start.UTC().Format(time.RFC3339), p.Requests, p.OK,
				p.Unauthorized, p.Forbidden, p.RateLimited)
		}
	}
	write(u.KeyID, u.Series)
	for _, l := range u.Lineage {
		write(l.KeyID, l.Series)
	}
	return b.String()
}

func chartPoints(series []api.UsagePoint) []ui.ChartPoint {
	out := make([]ui.ChartPoint, len(series))
	for i, p := range series {
		out[i] = ui.ChartPoint{Start: p.Start, OK: p.OK, Limited: p.RateLimited, Rejected: p.Requests - p.OK - p.RateLimited}
	}
	return out
}

var bucketDurations = map[string]time.Duration{wire.BucketMinute: time.Minute, wire.BucketHour: time.Hour, wire.BucketDay: 24 * time.Hour}

// renderUsage draws the usage of a key for a terminal.
func renderUsage(io *ui.IOStreams, u *api.KeyUsage) string {
	cs := io.ColorScheme()
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s → %s UTC, %s buckets\n\n", cs.Bold(u.KeyID), u.Since.UTC().Format("Jan 2 15:04"),
		u.Until.UTC().Format("Jan 2 15:04"), u.Bucket)
	chart := ui.UsageChart{Points: chartPoints(u.Series), Bucket: bucketDurations[u.Bucket], LimitPerMinute: u.RateLimit}
	for _, l := range u.Lineage {
		label := l.KeyID + " " + l.Status
		chart.Lines = append(chart.Lines, ui.ChartLine{Label: label, Points: chartPoints(l.Series)})
	}
	if len(u.Lineage) > 0 {
		chart.Lines = append([]ui.ChartLine{{Label: u.KeyID + " (this key)", Points: chartPoints(u.Series)}}, chart.Lines...)
	}
	b.WriteString(ui.RenderUsageChart(cs, chart, io.TerminalWidth()))
	b.WriteByte('\n')
	t := u.Totals
	fmt.Fprintf(&b, "%d requests: %d 2xx, %d 401, %d 403, %d 429\n", t.Requests, t.OK, t.Unauthorized, t.Forbidden, t.RateLimited)
	if p := u.PeakMinute; p != nil {
		peak := fmt.Sprintf("peak %d of %d req/min at %s", p.Requests, u.RateLimit, p.Start.UTC().Format("15:04"))
		if u.Until.Sub(u.Since) > 24*time.Hour {
			peak = fmt.Sprintf("peak %d of %d req/min at %s", p.Requests, u.RateLimit, p.Start.UTC().Format("Jan 2 15:04"))
		}
		if p.RateLimited > 0 {
			peak += fmt.Sprintf(" (%d refused with 429)", p.RateLimited)
		}
		if p.Requests*10 >= int64(u.RateLimit)*9 {
			peak = cs.Warning(peak)
		}
		b.WriteString(peak + "\n")
	} else {
		b.WriteString(cs.Muted("no minute-level data in this window (minutes are kept 48 hours)") + "\n")
	}
	var used []string
	for sc, n := range u.Scopes {
		used = append(used, fmt.Sprintf("%s %d", sc, n))
	}
	sort.Strings(used)
	if len(used) > 0 {
		fmt.Fprintf(&b, "scopes checked: %s\n", strings.Join(used, ", "))
	}
	var idle []string
	for _, p := range u.Permissions {
		if _, ok := u.Scopes[p]; !ok {
			idle = append(idle, p)
		}
	}
	if len(idle) > 0 {
		fmt.Fprintf(&b, "held, never checked: %s\n", cs.Muted(strings.Join(idle, ", ")))
	}
	if len(u.IPs) > 0 {
		width := 0
		for _, ip := range u.IPs {
			width = max(width, len(ip.IP))
		}
		b.WriteString("addresses:\n")
		for _, ip := range u.IPs {
			fmt.Fprintf(&b, "  %-*s %8d  last %s\n", width, ui.SingleLine(ip.IP), ip.Requests, ip.LastSeen.UTC().Format("Jan 2 15:04:05"))
		}
	}
	return b.String()
}
