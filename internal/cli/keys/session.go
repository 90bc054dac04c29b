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
)

// sessionClient is what the session-authenticated subcommands talk through.
type sessionClient struct {
	f      *cmdutil.Factory
	client *api.Client
	token  string
	src    credentials.Source
}

// newSessionClient finds the session (ZUPY_SESSION_TOKEN, else the profile's
// stored login) and a client of the active base URL.
func newSessionClient(ctx context.Context, f *cmdutil.Factory) (*sessionClient, error) {
	client, err := f.Client()
	if err != nil {
		return nil, usageIf(err)
	}
	tok, src, err := f.SessionToken(ctx)
	if err != nil {
		return nil, usageIf(err)
	}
	return &sessionClient{f: f, client: client, token: tok, src: src}, nil
}

// wrap adds the "log in again" hint to a 401 of the session.
func (s *sessionClient) wrap(err error) error {
	if err == nil {
		return nil
	}
	return s.f.SessionError(err, s.src)
}

// clientForKey is the client for requests authenticated by key: the active
// base URL, except that with none configured (no flag, variable or profile
// setting) a staging key goes to the staging API, as for `zupy ping`.
func clientForKey(f *cmdutil.Factory, key apikey.Key) (*api.Client, error) {
	v, err := f.Setting(config.BaseURL)
	if err != nil {
		return nil, usageIf(err)
	}
	if v.Source == config.SourceDefault {
		return f.APIClient(key.Environment.BaseURL()), nil
	}
	return f.APIClient(v.Value), nil
}

// defaultKeyID is the profile's default_key_id setting, "" when unset or
// unreadable (it only decorates output).
func defaultKeyID(f *cmdutil.Factory) string {
	v, err := f.Setting(config.DefaultKeyID)
	if err != nil {
		return ""
	}
	return v.Value
}

// keyStore is the profile's credential store for saved keys.
type keyStore struct {
	f     *cmdutil.Factory
	store credentials.Store
}

func openKeyStore(f *cmdutil.Factory) (*keyStore, error) {
	s, err := f.CredentialStore()
	if err != nil {
		return nil, usageIf(err)
	}
	return &keyStore{f: f, store: s}, nil
}

// saved reports whether keyID is saved in the profile. It is also the probe
// run before a key is created with --save, so that an unusable keyring fails
// the command before anything exists on the server.
func (k *keyStore) saved(ctx context.Context, keyID string) (bool, error) {
	keys, err := credentials.SavedKeys(ctx, k.store, k.f.Profile())
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(keys, func(s credentials.SavedKey) bool { return s.KeyID == keyID }), nil
}

// save stores secret as the saved key keyID and, with makeDefault, makes it
// the profile's default key.
func (k *keyStore) save(ctx context.Context, keyID, secret string, makeDefault bool) error {
	if err := credentials.SaveKey(ctx, k.store, k.f.Profile(), keyID, secret); err != nil {
		return err
	}
	if makeDefault {
		return setDefaultKey(k.f, keyID)
	}
	return nil
}

// where names the store for messages: "keyring" or the file's path.
func (k *keyStore) where() string { return credentials.SourceOf(k.store).String() }

// setDefaultKey records keyID as the profile's default_key_id in config.yaml;
// "" removes the setting.
func setDefaultKey(f *cmdutil.Factory, keyID string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if keyID == "" {
		if _, err := cfg.Unset(f.Profile(), config.DefaultKeyID); err != nil {
			return err
		}
	} else if err := cfg.Set(f.Profile(), config.DefaultKeyID, keyID); err != nil {
		return err
	}
	if err := cfg.Save(); err != nil {
		return fmt.Errorf("save %s: %w", cfg.Path(), err)
	}
	return nil
}

// storedDefault is the default_key_id stored in the profile's file (the
// setting has no flag or variable).
func storedDefault(f *cmdutil.Factory) string {
	cfg, err := f.Config()
	if err != nil {
		return ""
	}
	v, _ := cfg.Get(f.Profile(), config.DefaultKeyID)
	return v
}

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
