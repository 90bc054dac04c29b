// Package resolve decides, for one profile, the three things every command
// that talks to the API depends on, so that no command decides them itself:
//
//   - which credential: the session for a base URL (session.go), and the
//     API key for an optional key id (order.go);
//   - which base URL a request goes to, for its purpose: a command of the
//     profile, a key of a given environment, a key found by `keys scan`
//     (order.go, the one file that holds the precedence of
//     docs/production-and-staging.md#which-api-a-command-talks-to);
//   - which store keeps a secret: the profile's (the OS keyring, or the
//     0600 credentials file with credential_store: file), or the file when
//     the user allows plain text with --insecure-storage (store.go).
//
// cmdutil.New wires one Resolver per profile into the factory
// (Factory.Resolve); commands copy it into their Options.
package resolve

import (
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Deps are what the decisions read. Every one is a function called on
// first use, so that a command that needs no store never opens the keyring.
type Deps struct {
	// IO is where the plain-text warning of --insecure-storage goes.
	IO *ui.IOStreams
	// Profile is the profile decided for.
	Profile func() string
	// Getenv reads the environment that speaks for the profile
	// (ZUPY_API_KEY, ZUPY_SESSION_TOKEN); none for another profile.
	Getenv func(string) string
	// Settings are the profile's effective settings.
	Settings func() (*config.Resolver, error)
	// Config is config.yaml, where --insecure-storage records
	// credential_store: file.
	Config func() (*config.File, error)
	// Keyring is the profile's OS keyring store.
	Keyring func() credentials.Store
	// CredentialsFile is the path of the 0600 credentials file.
	CredentialsFile func() (string, error)
	// StateDir is $XDG_STATE_HOME/zupy, where the expiry warnings given
	// are remembered (expiry.go).
	StateDir func() (string, error)
}

// Resolver makes the decisions for one profile.
type Resolver struct{ d Deps }

// New returns the Resolver over d.
func New(d Deps) *Resolver { return &Resolver{d: d} }

// Profile is the profile the Resolver decides for.
func (r *Resolver) Profile() string { return r.d.Profile() }

// Settings are the profile's effective settings.
func (r *Resolver) Settings() (*config.Resolver, error) { return r.d.Settings() }

func (r *Resolver) getenv(name string) string {
	if r.d.Getenv == nil {
		return ""
	}
	return r.d.Getenv(name)
}
