package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// sessionClient is what the session-authenticated subcommands talk through.
type sessionClient struct {
	client  *api.Client
	session cmdutil.Session
}

// openSession finds the session (ZUPY_SESSION_TOKEN, else the profile's
// stored login, when it was issued by the active base URL) and a client of
// that base URL.
func openSession(ctx context.Context, newClient func() (*api.Client, error), resolver func() (credentials.Resolver, error)) (*sessionClient, error) {
	client, err := newClient()
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	r, err := resolver()
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	s, err := cmdutil.SessionFor(ctx, r, client.BaseURL())
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	return &sessionClient{client: client, session: s}, nil
}

// token is the session token requests are sent with.
func (s *sessionClient) token() string { return s.session.Token }

// wrap adds the "log in again" hint to a 401 of the session.
func (s *sessionClient) wrap(err error) error {
	if err == nil {
		return nil
	}
	return s.session.Refused(err)
}

// clientForKey is the client for requests authenticated by key: the active
// base URL, except that with none configured (no flag, variable or profile
// setting) a staging key goes to the staging API, as for `zupy ping`.
func clientForKey(settings func() (*config.Resolver, error), clientFor func(string) *api.Client, key apikey.Key) (*api.Client, error) {
	r, err := settings()
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	v, err := r.Get(config.BaseURL)
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	if v.Source == config.SourceDefault {
		return clientFor(key.Environment.BaseURL()), nil
	}
	return clientFor(v.Value), nil
}

// defaultKeyID is the profile's default_key_id setting, "" when unset or
// unreadable (it only decorates output).
func defaultKeyID(settings func() (*config.Resolver, error)) string {
	r, err := settings()
	if err != nil {
		return ""
	}
	v, err := r.Get(config.DefaultKeyID)
	if err != nil {
		return ""
	}
	return v.Value
}

// profileConfig is the profile's part of config.yaml that saving keys
// touches: its default_key_id.
type profileConfig struct {
	load    func() (*config.File, error)
	profile string
}

// setDefault records keyID as the profile's default_key_id in config.yaml;
// "" removes the setting.
func (p profileConfig) setDefault(keyID string) error {
	cfg, err := p.load()
	if err != nil {
		return err
	}
	if keyID == "" {
		if _, err := cfg.Unset(p.profile, config.DefaultKeyID); err != nil {
			return err
		}
	} else if err := cfg.Set(p.profile, config.DefaultKeyID, keyID); err != nil {
		return err
	}
	if err := cfg.Save(); err != nil {
		return fmt.Errorf("save %s: %w", cfg.Path(), err)
	}
	return nil
}

// storedDefault is the default_key_id stored in the profile's file (the
// setting has no flag or variable).
func (p profileConfig) storedDefault() string {
	cfg, err := p.load()
	if err != nil {
		return ""
	}
	v, _ := cfg.Get(p.profile, config.DefaultKeyID)
	return v
}

// keyStore is the profile's credential store for saved keys.
type keyStore struct {
	profileConfig
	store credentials.Store
}

// openSecretStore opens the store a command saves a secret in: the
// profile's store, or with --insecure-storage the 0600 credentials file,
// after the warning that names it and the profile setting that records it.
func openSecretStore(io *ui.IOStreams, cfg func() (*config.File, error), profile string, insecure bool,
	store, fileStore func() (credentials.Store, error), credentialsFile func() (string, error)) (*keyStore, error) {
	open := store
	if insecure {
		path, _ := credentialsFile()
		if err := cmdutil.UseFileStore(cfg, profile); err != nil {
			return nil, err
		}
		open = cmdutil.WarnOnWrite(io, fileStore, path, "the secret")
	}
	return openKeyStore(open, profileConfig{cfg, profile})
}

func openKeyStore(open func() (credentials.Store, error), p profileConfig) (*keyStore, error) {
	s, err := open()
	if err != nil {
		return nil, cmdutil.UsageIf(err)
	}
	return &keyStore{profileConfig: p, store: s}, nil
}

// saved reports whether keyID is saved in the profile. It is also the probe
// run before a key is created with --save, so that an unusable keyring fails
// the command before anything exists on the server.
func (k *keyStore) saved(ctx context.Context, keyID string) (bool, error) {
	keys, err := credentials.SavedKeys(ctx, k.store, k.profile)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(keys, func(s credentials.SavedKey) bool { return s.KeyID == keyID }), nil
}

// save stores secret as the saved key keyID and, with makeDefault, makes it
// the profile's default key.
func (k *keyStore) save(ctx context.Context, keyID, secret string, makeDefault bool) error {
	if err := credentials.SaveKey(ctx, k.store, k.profile, keyID, secret); err != nil {
		return err
	}
	if makeDefault {
		return k.setDefault(keyID)
	}
	return nil
}

// remove deletes the saved secret of keyID.
func (k *keyStore) remove(ctx context.Context, keyID string) error {
	return credentials.DeleteKey(ctx, k.store, k.profile, keyID)
}

// where names the store for messages: "keyring" or the file's path.
func (k *keyStore) where() string { return credentials.SourceOf(k.store).String() }

// saveFailed is the error of a key that exists on the server but whose
// secret could not be saved; the secret has been printed already.
func saveFailed(keyID string, err error) error {
	hint := fmt.Sprintf("The key %s exists and its secret was printed above: store it now, or save it later with `zupy keys import`", keyID)
	var unavailable *credentials.UnavailableError
	if errors.As(err, &unavailable) {
		hint += ". " + unavailable.Hint()
	}
	return cmdutil.WithHint(fmt.Errorf("key %s was created but its secret could not be saved: %w", keyID, err), hint)
}
