package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// SavedKey is one entry of a profile's saved-key index. It never holds the
// secret.
type SavedKey struct {
	KeyID string `json:"key_id"`
	Hint  string `json:"key_hint"` // apikey.Mask of the secret
}

// entryUpdater is implemented by stores that can read-modify-write one entry
// atomically across processes (the file store, under its lock). For the
// others the index is updated by Get then Set, which two processes saving
// keys at the same instant can race.
type entryUpdater interface {
	updateEntry(ctx context.Context, account string, fn func(old string, found bool) (value string, keep bool, err error)) error
}

// SaveKey stores secret as the profile's saved key keyID and lists it in the
// profile's index with its masked hint. The index is written first, so that a
// stored secret is always listed and DeleteProfile can find it.
func SaveKey(ctx context.Context, s Store, profile, keyID, secret string) error {
	if err := checkName("profile", profile); err != nil {
		return err
	}
	if err := checkName("key id", keyID); err != nil {
		return err
	}
	if err := checkSecret(secret); err != nil {
		return err
	}
	entry := SavedKey{KeyID: keyID, Hint: apikey.Mask(secret)}
	var previous *SavedKey
	err := updateIndex(ctx, s, profile, func(keys []SavedKey) []SavedKey {
		previous = nil
		if i := indexOf(keys, keyID); i >= 0 {
			prev := keys[i]
			previous = &prev
			keys[i] = entry
			return keys
		}
		return append(keys, entry)
	})
	if err != nil {
		return err
	}
	if err := s.Set(ctx, KeyAccount(profile, keyID), secret); err != nil {
		// Put the index back as it was, best effort: the secret was not stored.
		_ = updateIndex(context.WithoutCancel(ctx), s, profile, func(keys []SavedKey) []SavedKey {
			i := indexOf(keys, keyID)
			switch {
			case i < 0:
			case previous != nil:
				keys[i] = *previous
			default:
				keys = slices.Delete(keys, i, i+1)
			}
			return keys
		})
		return err
	}
	return nil
}

// DeleteKey removes the profile's saved key keyID and its index entry.
// Deleting a key that is not saved is not an error.
func DeleteKey(ctx context.Context, s Store, profile, keyID string) error {
	if err := checkName("profile", profile); err != nil {
		return err
	}
	if err := checkName("key id", keyID); err != nil {
		return err
	}
	if err := s.Delete(ctx, KeyAccount(profile, keyID)); err != nil {
		return err
	}
	return updateIndex(ctx, s, profile, func(keys []SavedKey) []SavedKey {
		if i := indexOf(keys, keyID); i >= 0 {
			keys = slices.Delete(keys, i, i+1)
		}
		return keys
	})
}

// SavedKeys lists the profile's saved keys in the order they were first
// saved; none is an empty list, not an error.
func SavedKeys(ctx context.Context, s Store, profile string) ([]SavedKey, error) {
	if err := checkName("profile", profile); err != nil {
		return nil, err
	}
	raw, err := s.Get(ctx, IndexAccount(profile))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeIndex(s, profile, raw)
}

// DeleteProfile removes the profile's session, every saved key and the
// index. A corrupt index is removed too, and reported: keys it listed may
// remain in the store.
func DeleteProfile(ctx context.Context, s Store, profile string) error {
	if err := checkName("profile", profile); err != nil {
		return err
	}
	keys, indexErr := SavedKeys(ctx, s, profile)
	var unavailable *UnavailableError
	if errors.As(indexErr, &unavailable) || errors.Is(indexErr, context.Canceled) || errors.Is(indexErr, context.DeadlineExceeded) {
		return indexErr
	}
	for _, account := range []string{SessionAccount(profile), SessionIssuerAccount(profile)} {
		if err := s.Delete(ctx, account); err != nil {
			return err
		}
	}
	for _, k := range keys {
		if err := s.Delete(ctx, KeyAccount(profile, k.KeyID)); err != nil {
			return err
		}
	}
	if err := s.Delete(ctx, IndexAccount(profile)); err != nil {
		return err
	}
	return indexErr
}

func indexOf(keys []SavedKey, keyID string) int {
	return slices.IndexFunc(keys, func(k SavedKey) bool { return k.KeyID == keyID })
}

func decodeIndex(s Store, profile, raw string) ([]SavedKey, error) {
	var keys []SavedKey
	if err := json.Unmarshal([]byte(raw), &keys); err != nil {
		return nil, fmt.Errorf("saved-key index %s in %s is corrupt: %w", IndexAccount(profile), SourceOf(s), err)
	}
	return keys, nil
}

// updateIndex rewrites the profile's index with what edit returns; an empty
// index is deleted.
func updateIndex(ctx context.Context, s Store, profile string, edit func([]SavedKey) []SavedKey) error {
	account := IndexAccount(profile)
	apply := func(old string, found bool) (string, bool, error) {
		var keys []SavedKey
		if found {
			var err error
			if keys, err = decodeIndex(s, profile, old); err != nil {
				return "", false, err
			}
		}
		keys = edit(keys)
		if len(keys) == 0 {
			return "", false, nil
		}
		b, err := json.Marshal(keys)
		if err != nil {
			return "", false, err
		}
		return string(b), true, nil
	}
	if u, ok := s.(entryUpdater); ok {
		return u.updateEntry(ctx, account, apply)
	}
	old, err := s.Get(ctx, account)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	value, keep, err := apply(old, found)
	if err != nil {
		return err
	}
	if !keep {
		if !found {
			return nil
		}
		return s.Delete(ctx, account)
	}
	if found && value == old {
		return nil
	}
	return s.Set(ctx, account, value)
}
