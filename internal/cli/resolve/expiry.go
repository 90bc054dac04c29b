package resolve

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/ui"
)

// The expiry warning (docs/audit.md#expiry-warnings): when the API key a
// command uses expires within ExpiryWarnWithin, zupy says so on stderr, at
// most once every expiryWarnEvery on the server's clock. It learns the
// expiry only from what it receives anyway (a verify answer, a key object
// it saves), never by a request of its own, and remembers it with the time
// of the last warning in a 0600 file of the state directory, by key hint
// (apikey.Mask): the secret is never written. Sessions are not warned
// about: they always live 24 hours.
const (
	ExpiryWarnWithin = 7 * 24 * time.Hour
	expiryWarnEvery  = 12 * time.Hour
	expiryFile       = "key-expiry.json"
	// expiryKeep is how long past its expiry a key's entry is kept.
	expiryKeep = 24 * time.Hour
)

// expiryEntry is what is remembered of one key.
type expiryEntry struct {
	KeyID     string    `json:"key_id,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	WarnedAt  time.Time `json:"warned_at,omitzero"`
}

func (r *Resolver) expiryPath() (string, error) {
	if r.d.StateDir == nil {
		return "", fmt.Errorf("no state directory")
	}
	dir, err := r.d.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, expiryFile), nil
}

func (r *Resolver) loadExpiry() map[string]expiryEntry {
	out := map[string]expiryEntry{}
	path, err := r.expiryPath()
	if err != nil {
		return out
	}
	data, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(data, &out)
	}
	return out
}

// saveExpiry writes the entries (0600, in a 0700 directory), best effort:
// without it a warning may only come again.
func (r *Resolver) saveExpiry(m map[string]expiryEntry, now time.Time) {
	path, err := r.expiryPath()
	if err != nil {
		return
	}
	for hint, e := range m {
		if now.Sub(e.ExpiresAt) > expiryKeep {
			delete(m, hint)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
	}
}

// LearnExpiry remembers that the key with this secret (and, when known, id)
// expires at expiresAt, as a verify answer or a saved key's object said.
func (r *Resolver) LearnExpiry(secret, keyID string, expiresAt, now time.Time) {
	if r == nil {
		return
	}
	if _, err := apikey.Parse(secret); err != nil || expiresAt.IsZero() {
		return
	}
	m := r.loadExpiry()
	hint := apikey.Mask(secret)
	e := m[hint]
	if e.ExpiresAt.Equal(expiresAt) && (keyID == "" || e.KeyID == keyID) {
		return
	}
	e.ExpiresAt = expiresAt.UTC()
	if keyID != "" {
		e.KeyID = keyID
	}
	m[hint] = e
	r.saveExpiry(m, now)
}

// KeyExpiryChanged records the expiry of a key object zupy received (an
// update's answer) for a key it already remembers, by its key_hint: a key
// extended after a warning is not warned about again.
func (r *Resolver) KeyExpiryChanged(hint, keyID string, expiresAt, now time.Time) {
	if r == nil || expiresAt.IsZero() {
		return
	}
	m := r.loadExpiry()
	e, ok := m[hint]
	if !ok || (e.KeyID != "" && e.KeyID != keyID) || e.ExpiresAt.Equal(expiresAt) {
		return
	}
	e.ExpiresAt, e.KeyID = expiresAt.UTC(), keyID
	m[hint] = e
	r.saveExpiry(m, now)
}

// WarnExpiry says on stderr that the key of c expires within 7 days, when
// zupy knows its expiry (learned with expiresAt, non-zero, or before), now
// being the server's time; at most every 12 hours, unless the profile's
// expiry_warnings is false.
func (r *Resolver) WarnExpiry(c *Choice, keyID string, expiresAt, now time.Time) {
	if r == nil || c == nil || r.d.IO == nil {
		return
	}
	if s, err := r.d.Settings(); err == nil {
		if v, err := s.Get(config.ExpiryWarnings); err == nil && v.Value == "false" {
			return
		}
	}
	m := r.loadExpiry()
	hint := apikey.Mask(c.Key.Secret)
	e := m[hint]
	if !expiresAt.IsZero() {
		e.ExpiresAt = expiresAt.UTC()
	}
	if keyID == "" {
		keyID = c.KeyID
	}
	if keyID != "" {
		e.KeyID = keyID
	}
	if e.ExpiresAt.IsZero() {
		return
	}
	m[hint] = e
	left := e.ExpiresAt.Sub(now)
	if left <= 0 || left > ExpiryWarnWithin || (!e.WarnedAt.IsZero() && now.Sub(e.WarnedAt) < expiryWarnEvery && !now.Before(e.WarnedAt)) {
		if !expiresAt.IsZero() {
			r.saveExpiry(m, now)
		}
		return
	}
	e.WarnedAt = now.UTC()
	m[hint] = e
	r.saveExpiry(m, now)
	zupy := func(args string) string {
		if p := r.Profile(); p != "" && p != config.DefaultProfile {
			args += " --profile " + p
		}
		return "`zupy " + args + "`"
	}
	name, fix := hint, "rotate it or extend its expiry ("+zupy("keys list")+" shows its id)"
	if e.KeyID != "" {
		name = e.KeyID
		fix = fmt.Sprintf("rotate it with %s, or extend it with %s", zupy("keys rotate "+e.KeyID), zupy("keys update "+e.KeyID+" --expires-in 1y"))
	}
	cs := r.d.IO.ErrColorScheme()
	subject := fmt.Sprintf("API key %s (%s)", ui.SingleLine(name), c.Describe())
	if c.FromStore() {
		subject = c.Describe() // saved key key_… (default key, keyring)
	}
	msg := fmt.Sprintf("%s The %s expires %s, at %s: %s. This note shows at most every 12 hours; %s turns it off",
		cs.WarningIcon(), subject, ui.RelativeTime(e.ExpiresAt, now), e.ExpiresAt.UTC().Format(time.RFC3339), fix, zupy("config set expiry_warnings false"))
	fmt.Fprintln(r.d.IO.ErrOut, msg)
}
