package resolve

import (
	"context"
	"fmt"

	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// Store is the profile's credential store: the 0600 credentials file when
// the profile's credential_store is "file", else the OS keyring.
func (r *Resolver) Store() (credentials.Store, error) {
	settings, err := r.d.Settings()
	if err != nil {
		return nil, err
	}
	v, err := settings.Get(config.CredentialStore)
	if err != nil {
		return nil, err
	}
	if v.Value == "file" {
		return r.fileStore()
	}
	return r.d.Keyring(), nil
}

// CredentialsFilePath is the 0600 credentials file's path.
func (r *Resolver) CredentialsFilePath() (string, error) { return r.d.CredentialsFile() }

func (r *Resolver) fileStore() (credentials.Store, error) {
	path, err := r.d.CredentialsFile()
	if err != nil {
		return nil, err
	}
	return credentials.NewFile(path), nil
}

// StoreFor is the store a command writes a secret in (what names it: "the
// session", "the secret"). Plain text is allowed only when the user asked
// for it (insecure, from --insecure-storage) or the profile already keeps
// its secrets in the file; with insecure, AllowPlainText runs first.
func (r *Resolver) StoreFor(insecure bool, what string) (credentials.Store, error) {
	if !insecure {
		return r.Store()
	}
	if err := r.AllowPlainText(what); err != nil {
		return nil, err
	}
	return r.fileStore()
}

// AllowPlainText is what --insecure-storage does before anything is
// written: it names the file that will hold the secret in plain text, then
// records credential_store: file in the profile so that later commands find
// it. what is what will be stored ("the session", "the secret").
func (r *Resolver) AllowPlainText(what string) error {
	path, _ := r.d.CredentialsFile()
	io := r.d.IO
	cs := io.ErrColorScheme()
	fmt.Fprintf(io.ErrOut, "%s Storing %s in plain text in %s (mode 0600); anyone who can read that file can use it.\n", cs.WarningIcon(), what, path)
	cfg, err := r.d.Config()
	if err != nil {
		return err
	}
	profile := r.Profile()
	if v, _ := cfg.Get(profile, config.CredentialStore); v == "file" {
		return nil
	}
	if err := cfg.Set(profile, config.CredentialStore, "file"); err != nil {
		return err
	}
	return cfg.Save()
}

// Credentials looks up the profile's credentials in the profile's store,
// the environment first (credentials.Resolver).
func (r *Resolver) Credentials() (credentials.Resolver, error) {
	store, err := r.Store()
	if err != nil {
		return credentials.Resolver{}, err
	}
	return credentials.Resolver{Store: store, Getenv: r.d.Getenv, Profile: r.Profile()}, nil
}

// Session is the session to send to baseURL (SessionFor).
func (r *Resolver) Session(ctx context.Context, baseURL string) (Session, error) {
	c, err := r.Credentials()
	if err != nil {
		return Session{}, err
	}
	return SessionFor(ctx, c, baseURL)
}
