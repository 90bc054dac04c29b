package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// RevokeOptions is what `keys revoke` uses.
type RevokeOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Profile  string
	Config   func() (*config.File, error)
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)
	Store    func() (credentials.Store, error)
	Prompter func() *ui.Prompter

	KeyID string
	Yes   bool
}

// NewCmdRevoke returns `keys revoke`; runF replaces the run in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IOStreams, Config: f.Config, Client: f.Client, Resolver: f.Resolve.Credentials, Store: f.Resolve.Store, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key at once",
		Long: `Revoke an API key: it stops working on the very next request. This cannot be
undone. On a terminal you are asked to confirm; without one (CI, pipes) --yes
is required, so a script never revokes by accident. On a terminal, without
KEY_ID, a list of the active keys is offered to pick from.

The key's saved secret, if any, is removed from the profile's credential store,
and it stops being the default key.`,
		Example: `  zupy keys revoke key_0123456789ab         # on a terminal: asks first
  zupy keys revoke                          # on a terminal: pick the key, then confirm
  zupy keys revoke key_0123456789ab --yes`,
		Args:              keyIDArg(f.IOStreams),
		ValidArgsFunction: completeKeyIDs(f, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.KeyID, err = keyIDFrom(args); err != nil {
				return err
			}
			if !opts.Yes && !f.IOStreams.CanPrompt() {
				return usageHint(fmt.Sprintf("Run `zupy keys revoke %s --yes` to revoke it", opts.KeyID),
					"--yes is required when not running interactively")
			}
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return revokeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "Revoke without asking for confirmation")
	return cmd
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	io := opts.IO
	cs := io.ErrColorScheme()
	if opts.KeyID == "" {
		if opts.KeyID, err = pickKey(ctx, opts.IO, s, "revoke", ""); err != nil {
			return err
		}
	}
	// The key is read first, with or without --yes: a key revoked already is
	// said to be so (exit 0), not reported as revoked again.
	cur, err := s.client.GetKey(ctx, s.token(), opts.KeyID)
	if err != nil {
		return s.wrap(err)
	}
	if cur.Status == api.StatusRevoked {
		notes := forgetKey(ctx, opts.Store, profileConfig{opts.Config, opts.Profile}, cur.KeyID)
		if opts.JSON {
			if err := ui.WriteJSON(io.Out, cur); err != nil {
				return err
			}
		}
		when := ""
		if cur.RevokedAt != nil {
			when = " on " + cur.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(io.ErrOut, "%s %s %q was already revoked%s; nothing to do\n", cs.WarningIcon(), ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name), when)
		for _, n := range notes {
			fmt.Fprintln(io.ErrOut, ui.SingleLine(n))
		}
		return nil
	}
	if !opts.Yes {
		ok, err := opts.Prompter().Confirm(fmt.Sprintf("Revoke %s %q? This cannot be undone", ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name)), false)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintf(io.ErrOut, "Not revoked: %s is still %s\n", ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Status))
			return &cmdutil.SilentError{Kind: api.KindUsage}
		}
	}
	key, err := s.client.RevokeKey(ctx, s.token(), opts.KeyID)
	if err != nil {
		return s.wrap(err)
	}
	notes := forgetKey(ctx, opts.Store, profileConfig{opts.Config, opts.Profile}, key.KeyID)
	if opts.JSON {
		if err := ui.WriteJSON(io.Out, key); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(io.ErrOut, "%s Revoked %s %q\n", cs.SuccessIcon(), ui.SingleLine(key.KeyID), ui.SingleLine(key.Name))
	}
	for _, n := range notes {
		fmt.Fprintln(io.ErrOut, ui.SingleLine(n))
	}
	return nil
}

// forgetKey removes a revoked key's saved secret and default-key setting,
// best effort: the key is revoked on the server whatever happens here, so a
// failure is reported as a note, not an error.
func forgetKey(ctx context.Context, openStore func() (credentials.Store, error), p profileConfig, keyID string) []string {
	var notes []string
	if p.storedDefault() == keyID {
		if err := p.setDefault(""); err != nil {
			notes = append(notes, fmt.Sprintf("warning: could not clear default_key_id: %v", err))
		} else {
			notes = append(notes, fmt.Sprintf("%s is no longer the default key", keyID))
		}
	}
	store, err := openKeyStore(openStore, p)
	if err == nil {
		var saved bool
		if saved, err = store.saved(ctx, keyID); err == nil && saved {
			if err = store.remove(ctx, keyID); err == nil {
				notes = append(notes, fmt.Sprintf("Removed the saved secret of %s from %s", keyID, store.where()))
			}
		}
	}
	if err != nil {
		var unavailable *credentials.UnavailableError
		msg := err.Error()
		if errors.As(err, &unavailable) {
			msg = unavailable.Error()
		}
		notes = append(notes, fmt.Sprintf("warning: could not check for a saved secret of %s: %s", keyID, msg))
	}
	return notes
}
