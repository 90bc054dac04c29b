// Package keystore is a profile's saved API keys as the keys commands keep
// them: the secrets in the profile's credential store (which one is
// internal/cli/resolve's decision) and the default_key_id in config.yaml.
// `keys create`, `rotate`, `import` and `revoke` and `keys scan --revoke`
// share it.
package keystore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// Profile is the profile's part of config.yaml that saving keys touches:
// its default_key_id.
type Profile struct {
	Load func() (*config.File, error)
	Name string
}

// SetDefault records keyID as the profile's default_key_id in config.yaml;
// "" removes the setting.
func (p Profile) SetDefault(keyID string) error {
	cfg, err := p.Load()
	if err != nil {
		return err
	}
	if keyID == "" {
		if _, err := cfg.Unset(p.Name, config.DefaultKeyID); err != nil {
			return err
		}
	} else if err := cfg.Set(p.Name, config.DefaultKeyID, keyID); err != nil {
		return err
	}
	if err := cfg.Save(); err != nil {
		return fmt.Errorf("save %s: %w", cfg.Path(), err)
	}
	return nil
}

// StoredDefault is the default_key_id stored in the profile's file (the
// setting has no flag or variable).
func (p Profile) StoredDefault() string {
	cfg, err := p.Load()
	if err != nil {
		return ""
	}
	v, _ := cfg.Get(p.Name, config.DefaultKeyID)
	return v
}

// Store is the profile's credential store for saved keys.
type Store struct {
	Profile
	Secrets credentials.Store
}

// Open opens the store with open (the profile's store, or the one
// resolve.StoreFor chose) for p.
func Open(open func() (credentials.Store, error), p Profile) (*Store, error) {
	s, err := open()
	if err != nil {
		return nil, err
	}
	return &Store{Profile: p, Secrets: s}, nil
}

// Saved reports whether keyID is saved in the profile. It is also the probe
// run before a key is created with --save, so that an unusable keyring fails
// the command before anything exists on the server.
func (k *Store) Saved(ctx context.Context, keyID string) (bool, error) {
	keys, err := credentials.SavedKeys(ctx, k.Secrets, k.Name)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(keys, func(s credentials.SavedKey) bool { return s.KeyID == keyID }), nil
}

// Save stores secret as the saved key keyID and, with makeDefault, makes it
// the profile's default key.
func (k *Store) Save(ctx context.Context, keyID, secret string, makeDefault bool) error {
	if err := credentials.SaveKey(ctx, k.Secrets, k.Name, keyID, secret); err != nil {
		return err
	}
	if makeDefault {
		return k.SetDefault(keyID)
	}
	return nil
}

// Remove deletes the saved secret of keyID.
func (k *Store) Remove(ctx context.Context, keyID string) error {
	return credentials.DeleteKey(ctx, k.Secrets, k.Name, keyID)
}

// Where names the store for messages: "keyring" or the file's path.
func (k *Store) Where() string { return credentials.SourceOf(k.Secrets).String() }

// Forget removes a revoked key's saved secret and default-key setting,
// best effort: the key is revoked on the server whatever happens here, so a
// failure is reported as a note, not an error.
func Forget(ctx context.Context, openStore func() (credentials.Store, error), p Profile, keyID string) []string {
	var notes []string
	if p.StoredDefault() == keyID {
		if err := p.SetDefault(""); err != nil {
			notes = append(notes, fmt.Sprintf("warning: could not clear default_key_id: %v", err))
		} else {
			notes = append(notes, fmt.Sprintf("%s is no longer the default key", keyID))
		}
	}
	store, err := Open(openStore, p)
	if err == nil {
		var saved bool
		if saved, err = store.Saved(ctx, keyID); err == nil && saved {
			if err = store.Remove(ctx, keyID); err == nil {
				notes = append(notes, fmt.Sprintf("Removed the saved secret of %s from %s", keyID, store.Where()))
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
