package resolve

import (
	"context"
	"fmt"
	"sync"

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
// for it (insecure, from --insecure-storage: AllowPlainText records it) or
// the profile already keeps its secrets in the file. Chosen by insecure, the
// file warns before the first secret is written to it (WarnOnWrite).
func (r *Resolver) StoreFor(insecure bool, what string) (credentials.Store, error) {
	if !insecure {
		return r.Store()
	}
	if err := r.AllowPlainText(); err != nil {
		return nil, err
	}
	s, err := r.fileStore()
	if err != nil {
		return nil, err
	}
	return r.WarnOnWrite(s, what), nil
}

// AllowPlainText is what --insecure-storage does before anything is
// written: it records credential_store: file in the profile so that later
// commands find what is stored. The warning that names the file comes only
// when a secret is written (WarnOnWrite): a command that ends before it
// stores anything (login --request-only, a refused create) warns of nothing.
func (r *Resolver) AllowPlainText() error {
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

// WarnOnWrite wraps s so that the first secret written to it is preceded,
// on stderr, by the warning that it is kept in plain text at s.Location();
// what names it ("the session", "the secret"). The keyring is returned as
// it is.
func (r *Resolver) WarnOnWrite(s credentials.Store, what string) credentials.Store {
	if s.Location() == "keyring" {
		return s
	}
	io := r.d.IO
	return &plainTextStore{Store: s, warn: func() {
		fmt.Fprintf(io.ErrOut, "%s Storing %s in plain text in %s (mode 0600); anyone who can read that file can use it.\n",
			io.ErrColorScheme().WarningIcon(), what, s.Location())
	}}
}

// plainTextStore is a file store that warns once, before its first write.
type plainTextStore struct {
	credentials.Store
	once sync.Once
	warn func()
}

func (p *plainTextStore) Set(ctx context.Context, account, secret string) error {
	p.once.Do(p.warn)
	return p.Store.Set(ctx, account, secret)
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
