package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/keys/keystore"
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
	// WithPredecessor also revokes the key this one was rotated from, which
	// otherwise keeps working until its grace period ends.
	WithPredecessor bool
}

// NewCmdRevoke returns `keys revoke`; runF replaces the run in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IOStreams, Config: f.Config, Client: f.Client, Resolver: f.Resolve.Credentials, Store: f.Resolve.Store, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key at once",
		// stripe's and a shell's words for it: `keys delete` says "did you
		// mean revoke" (cmdutil.GroupRun).
		SuggestFor: []string{"delete", "rm", "remove", "del"},
		Long: `Revoke an API key: it stops working on the very next request. This cannot be
undone. On a terminal you are asked to confirm; without one (CI, pipes) --yes
is required, so a script never revokes by accident. On a terminal, without
KEY_ID, a list of the active keys is offered to pick from.

The key's saved secret, if any, is removed from the profile's credential store,
and it stops being the default key.

A key made by a rotation has a predecessor (its rotated_from), which keeps
working until its grace period ends: revoking the new key alone leaves the old
one working, and keys revoke says so. --with-predecessor revokes both, as when
the rotation itself is to be undone because both secrets leaked.`,
		Example: `  zupy keys revoke key_0123456789ab         # on a terminal: asks first
  zupy keys revoke                          # on a terminal: pick the key, then confirm
  zupy keys revoke key_0123456789ab --yes
  zupy keys revoke key_0123456789ab --with-predecessor --yes`,
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
	cmd.Flags().BoolVar(&opts.WithPredecessor, "with-predecessor", false, "Also revoke the key this one was rotated from, still working in its grace period")
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
	cur, _, err := s.client.GetKey(ctx, s.token(), opts.KeyID)
	if err != nil {
		return s.wrap(err)
	}
	pred := livePredecessor(ctx, s, cur)
	if cur.Status == api.StatusRevoked {
		notes := keystore.Forget(ctx, opts.Store, keystore.Profile{Load: opts.Config, Name: opts.Profile}, cur.KeyID)
		if opts.JSON {
			if err := ui.WriteJSON(io.Out, cur); err != nil {
				return err
			}
		}
		when := ""
		if cur.RevokedAt != nil {
			when = " on " + cur.RevokedAt.UTC().Format(time.RFC3339)
		}
		if pred != nil && opts.WithPredecessor {
			fmt.Fprintf(io.ErrOut, "%s %s %q was already revoked%s\n", cs.WarningIcon(), ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name), when)
			printNotes(io, notes)
			return revokePredecessor(ctx, opts, s, pred)
		}
		fmt.Fprintf(io.ErrOut, "%s %s %q was already revoked%s; nothing to do\n", cs.WarningIcon(), ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name), when)
		printNotes(io, notes)
		warnPredecessor(io, opts.Profile, pred)
		return nil
	}
	if !opts.Yes {
		label := fmt.Sprintf("Revoke %s %q? This cannot be undone", ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name))
		switch {
		case pred != nil && opts.WithPredecessor:
			label = fmt.Sprintf("Revoke %s %q and its predecessor %s? This cannot be undone", ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name), ui.SingleLine(pred.KeyID))
		case pred != nil:
			label = fmt.Sprintf("Revoke %s %q? Its predecessor %s keeps working until %s (add --with-predecessor to revoke it too). This cannot be undone",
				ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Name), ui.SingleLine(pred.KeyID), pred.ExpiresAt.UTC().Format(time.RFC3339))
		}
		ok, err := opts.Prompter().Confirm(label, false)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintf(io.ErrOut, "Not revoked: %s is still %s\n", ui.SingleLine(cur.KeyID), ui.SingleLine(cur.Status))
			return &cmdutil.SilentError{Kind: api.KindUsage}
		}
	}
	key, _, err := s.client.RevokeKey(ctx, s.token(), opts.KeyID)
	if err != nil {
		return s.wrap(err)
	}
	notes := keystore.Forget(ctx, opts.Store, keystore.Profile{Load: opts.Config, Name: opts.Profile}, key.KeyID)
	if opts.JSON {
		if err := ui.WriteJSON(io.Out, key); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(io.ErrOut, "%s Revoked %s %q\n", cs.SuccessIcon(), ui.SingleLine(key.KeyID), ui.SingleLine(key.Name))
	}
	printNotes(io, notes)
	if pred != nil && opts.WithPredecessor {
		return revokePredecessor(ctx, opts, s, pred)
	}
	warnPredecessor(io, opts.Profile, pred)
	return nil
}

func printNotes(io *ui.IOStreams, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(io.ErrOut, ui.SingleLine(n))
	}
}

// livePredecessor is the key cur was rotated from when that key still works
// (active, in its grace period), else nil. A failure to read it is no
// reason not to revoke cur: it is then not mentioned.
func livePredecessor(ctx context.Context, s *sessionClient, cur *api.Key) *api.Key {
	if cur.RotatedFrom == nil || *cur.RotatedFrom == "" {
		return nil
	}
	pred, _, err := s.client.GetKey(ctx, s.token(), *cur.RotatedFrom)
	if err != nil || pred.Status != api.StatusActive {
		return nil
	}
	return pred
}

// warnPredecessor says that the rotation's old key still works, and how to
// revoke it.
func warnPredecessor(io *ui.IOStreams, profile string, pred *api.Key) {
	if pred == nil {
		return
	}
	cs := io.ErrColorScheme()
	fmt.Fprintf(io.ErrOut, "%s Its predecessor %s %q still works until %s, the end of its grace period\n",
		cs.WarningIcon(), ui.SingleLine(pred.KeyID), ui.SingleLine(pred.Name), pred.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(io.ErrOut, "  Revoke it too with `%s`\n", cmdutil.ZupyCommand(profile, "keys revoke "+pred.KeyID+" --yes"))
}

// revokePredecessor revokes the rotation's old key (--with-predecessor).
func revokePredecessor(ctx context.Context, opts *RevokeOptions, s *sessionClient, pred *api.Key) error {
	key, _, err := s.client.RevokeKey(ctx, s.token(), pred.KeyID)
	if err != nil {
		return s.wrap(fmt.Errorf("revoke the predecessor %s: %w", pred.KeyID, err))
	}
	notes := keystore.Forget(ctx, opts.Store, keystore.Profile{Load: opts.Config, Name: opts.Profile}, key.KeyID)
	fmt.Fprintf(opts.IO.ErrOut, "%s Revoked its predecessor %s %q\n", opts.IO.ErrColorScheme().SuccessIcon(), key.KeyID, ui.SingleLine(key.Name))
	printNotes(opts.IO, notes)
	return nil
}
