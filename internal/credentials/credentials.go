// Package credentials keeps the CLI's secrets: session tokens and saved API
// keys (docs/security-model.md). The default store is the OS keyring, reached through a
// wrapper that bounds every call with a timeout; the opt-in file store keeps
// them in a 0600 YAML file. A Resolver applies the lookup order: environment
// variable first, then the profile's store.
//
// Nothing in this package falls back silently from one store to another, and
// no error it returns contains a secret.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Service is the keyring service name under which every credential is kept.
const Service = "zupy"

// Environment variables that override the stores.
const (
	EnvSessionToken = "ZUPY_SESSION_TOKEN"
	EnvAPIKey       = "ZUPY_API_KEY"
)

// ErrNotFound is returned when the requested credential does not exist.
var ErrNotFound = errors.New("credential not found")

// Store keeps secrets under account names (see SessionAccount, KeyAccount).
type Store interface {
	// Get returns the secret of account, or ErrNotFound when there is none.
	Get(ctx context.Context, account string) (string, error)
	// Set stores secret under account, replacing any previous one.
	Set(ctx context.Context, account, secret string) error
	// Delete removes account; deleting an absent entry is not an error.
	Delete(ctx context.Context, account string) error
	// Location is "keyring" for the OS keyring, or the path of the file.
	Location() string
}

// SessionAccount is the account of the profile's session token.
func SessionAccount(profile string) string { return profile + "/session" }

// SessionIssuerAccount holds the base URL that issued the profile's session
// (not a secret): logout revokes the session there, and never sends it to a
// server named by a later override.
func SessionIssuerAccount(profile string) string { return profile + "/session-issuer" }

// KeyAccount is the account of a saved API key of the profile.
func KeyAccount(profile, keyID string) string { return profile + "/key/" + keyID }

// IndexAccount is the account holding the list of the profile's saved keys
// (key ids and masked hints, never secrets), because keyrings cannot
// enumerate their entries.
func IndexAccount(profile string) string { return profile + "/keys" }

// checkName rejects names that would make account names ambiguous: a profile
// "a/key" would otherwise own the session of profile "a"'s key "session".
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("empty %s", what)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r == '/' || r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("invalid %s %q: must not contain '/' or control characters", what, name)
	}
	return nil
}

func checkSecret(secret string) error {
	if secret == "" {
		return errors.New("refusing to store an empty secret")
	}
	return nil
}
