package auth

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/zupy/zupy-cli/internal/config"
)

// pending is a code requested and not used yet, kept per profile in
// $XDG_STATE_HOME/zupy/<profile>.login.json (else ~/.local/state/zupy), so
// that `zupy login` run again within the resend cooldown offers to enter
// that code instead of waiting to send a new one. It holds the verification
// id and where the code went, never the code: the id alone proves nothing.
type pending struct {
	VerificationID  string    `json:"verification_id"`
	Channel         string    `json:"channel"`
	Destination     string    `json:"destination"`
	DestinationHint string    `json:"destination_hint"`
	SentAt          time.Time `json:"sent_at"`
	// The deadlines on this machine's clock (the server's moved by the
	// offset of its Date when the code was sent).
	Expires  time.Time `json:"expires"`
	ResendAt time.Time `json:"resend_at"`
}

// StateDir is $XDG_STATE_HOME/zupy, else ~/.local/state/zupy.
func StateDir(getenv func(string) string) (string, error) { return config.StateDir(getenv) }

// pendingPath is the profile's pending-login file in dir.
func pendingPath(dir, profile string) string { return filepath.Join(dir, profile+".login.json") }

// loadPending returns the profile's pending code when it can still be
// typed at now; an expired or unreadable one is removed.
func loadPending(dir, profile string, now time.Time) (*pending, bool) {
	path := pendingPath(dir, profile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var p pending
	if json.Unmarshal(data, &p) != nil || p.VerificationID == "" || !p.Expires.After(now) {
		_ = os.Remove(path)
		return nil, false
	}
	return &p, true
}

// savePending records p (0600, in a 0700 directory), best effort: without
// it a second `zupy login` only waits for the cooldown.
func savePending(dir, profile string, p pending) {
	if config.ValidateProfile(profile) != nil {
		return
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	// Whole seconds: enough for a countdown, and no long digit runs.
	p.SentAt, p.Expires, p.ResendAt = p.SentAt.Truncate(time.Second), p.Expires.Truncate(time.Second), p.ResendAt.Truncate(time.Second)
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return
	}
	tmp := pendingPath(dir, profile) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return
	}
	if err := os.Rename(tmp, pendingPath(dir, profile)); err != nil {
		_ = os.Remove(tmp)
	}
}

// dropPending removes the profile's pending code: used, or dead.
func dropPending(dir, profile string) {
	if err := os.Remove(pendingPath(dir, profile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
}
