package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// LogoutOptions is what `zupy logout` uses.
type LogoutOptions struct {
	IO      *ui.IOStreams
	Config  func() (*config.File, error)
	Profile string
	// ForProfile gives the settings, store and clients of a profile.
	ForProfile func(name string) *cmdutil.Factory

	All bool
}

// NewCmdLogout returns `zupy logout`; runF replaces the run in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(*LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IOStreams, Config: f.Config, ForProfile: f.ForProfile}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and remove it from this machine",
		Long: `Revoke the active profile's session on the server (best effort: a failure is
reported, and the local copy is removed anyway) and remove it from the
keyring or credentials file.

With --all: every profile's session, and their saved API keys too.`,
		Example: `  zupy logout
  zupy logout --all`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if v := f.Getenv(credentials.EnvSessionToken); v != "" {
				return cmdutil.WithHint(cmdutil.Usagef("the session comes from %s: logout does not touch it", credentials.EnvSessionToken),
					"Unset "+credentials.EnvSessionToken+" yourself to stop using it")
			}
			opts.Profile = f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return logoutRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "Log out of every profile and remove their saved keys")
	return cmd
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	if !opts.All {
		return logoutProfile(ctx, opts, opts.Profile, false)
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	profiles := cfg.ProfileNames()
	if !slices.Contains(profiles, config.DefaultProfile) {
		profiles = append([]string{config.DefaultProfile}, profiles...)
	}
	var errs []error
	for _, p := range profiles {
		if err := logoutProfile(ctx, opts, p, true); err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// logoutProfile ends one profile's session; with keys it also removes the
// profile's saved API keys and its default key setting.
func logoutProfile(ctx context.Context, opts *LogoutOptions, profile string, keys bool) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	// The session is revoked where it was issued (recorded at login). For a
	// session stored without that record: --base-url and ZUPY_BASE_URL speak
	// for the active profile only, another profile uses its own base URL;
	// ForProfile knows which.
	p := opts.ForProfile(profile)
	base, err := p.Resolve.Configured()
	if err != nil {
		return err
	}
	store, err := p.Resolve.Store()
	if err != nil {
		return err
	}
	cs := opts.IO.ErrColorScheme()
	errOut := opts.IO.ErrOut
	token, err := store.Get(ctx, credentials.SessionAccount(profile))
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		if !keys {
			fmt.Fprintf(errOut, "Not logged in (profile %s); nothing to do.\n", profile)
		}
	case err != nil:
		return err
	default:
		client, err := p.ClientFor(issuer(ctx, store, profile, base.Value))
		if err == nil {
			_, err = client.DeleteSession(ctx, token)
		}
		if err != nil {
			fmt.Fprintf(errOut, "%s Could not revoke the session on the server (%s); removing it locally anyway.\n", cs.WarningIcon(), ui.SingleLine(err.Error()))
		}
		for _, account := range []string{credentials.SessionAccount(profile), credentials.SessionIssuerAccount(profile)} {
			if err := store.Delete(ctx, account); err != nil {
				return err
			}
		}
		fmt.Fprintf(errOut, "%s Logged out of profile %s\n", cs.SuccessIcon(), profile)
	}
	if !keys {
		return nil
	}
	if err := credentials.DeleteProfile(ctx, store, profile); err != nil {
		return err
	}
	if _, ok := cfg.Get(profile, config.DefaultKeyID); ok {
		if _, err := cfg.Unset(profile, config.DefaultKeyID); err != nil {
			return err
		}
		return cfg.Save()
	}
	return nil
}

// issuer is the base URL that issued the profile's session, as recorded at
// login, else fallback (sessions stored before zupy recorded it).
func issuer(ctx context.Context, store credentials.Store, profile, fallback string) string {
	u, err := store.Get(ctx, credentials.SessionIssuerAccount(profile))
	if err != nil {
		return fallback
	}
	if norm, err := config.NormalizeBaseURL(u); err == nil {
		return norm
	}
	return fallback
}
