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
)

// NewCmdLogout returns `zupy logout`.
func NewCmdLogout(f *cmdutil.Factory) *cobra.Command {
	var all bool
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
				return &cmdutil.UsageError{
					Err:  fmt.Errorf("the session comes from %s: logout does not touch it", credentials.EnvSessionToken),
					Hint: "Unset " + credentials.EnvSessionToken + " yourself to stop using it",
				}
			}
			if all {
				return logoutAll(cmd.Context(), f)
			}
			return logoutProfile(cmd.Context(), f, f.Profile(), false)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "Log out of every profile and remove their saved keys")
	return cmd
}

// logoutProfile ends one profile's session; with keys it also removes the
// profile's saved API keys and its default key setting.
func logoutProfile(ctx context.Context, f *cmdutil.Factory, profile string, keys bool) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	// The session is revoked where it was issued (recorded at login). For a
	// session stored without that record: --base-url and ZUPY_BASE_URL speak
	// for the active profile only, another profile uses its own base URL.
	r := &config.Resolver{File: cfg, Profile: profile, Getenv: func(string) string { return "" }}
	if profile == f.Profile() {
		r.Flags, r.Getenv = f.Global.Flags, f.Getenv
	}
	base, err := r.Get(config.BaseURL)
	if err != nil {
		return err
	}
	storeKind, err := r.Get(config.CredentialStore)
	if err != nil {
		return err
	}
	var store credentials.Store
	if storeKind.Value == "file" {
		store, err = f.FileStore()
	} else {
		store, err = f.KeyringStore()
	}
	if err != nil {
		return err
	}
	cs := f.IO.ErrColorScheme()
	token, err := store.Get(ctx, credentials.SessionAccount(profile))
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		if !keys {
			fmt.Fprintf(f.IO.ErrOut, "Not logged in (profile %s); nothing to do.\n", profile)
		}
	case err != nil:
		return err
	default:
		if err := f.APIClient(issuer(ctx, store, profile, base.Value)).DeleteSession(ctx, token); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "%s Could not revoke the session on the server (%v); removing it locally anyway.\n", cs.WarningIcon(), err)
		}
		for _, account := range []string{credentials.SessionAccount(profile), credentials.SessionIssuerAccount(profile)} {
			if err := store.Delete(ctx, account); err != nil {
				return err
			}
		}
		fmt.Fprintf(f.IO.ErrOut, "%s Logged out of profile %s\n", cs.SuccessIcon(), profile)
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

func logoutAll(ctx context.Context, f *cmdutil.Factory) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	profiles := cfg.ProfileNames()
	if !slices.Contains(profiles, config.DefaultProfile) {
		profiles = append([]string{config.DefaultProfile}, profiles...)
	}
	var errs []error
	for _, p := range profiles {
		if err := logoutProfile(ctx, f, p, true); err != nil {
			errs = append(errs, fmt.Errorf("profile %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}
