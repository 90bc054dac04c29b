package keys

import (
	"context"
	"errors"
	"fmt"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/keys/keystore"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// sessionClient is what the session-authenticated subcommands talk through.
type sessionClient struct {
	client  *api.Client
	session resolve.Session
}

// openSession finds the session (ZUPY_SESSION_TOKEN, else the profile's
// stored login, when it was issued by the active base URL) and a client of
// that base URL.
func openSession(ctx context.Context, newClient func() (*api.Client, error), resolver func() (credentials.Resolver, error)) (*sessionClient, error) {
	client, err := newClient()
	if err != nil {
		return nil, err
	}
	r, err := resolver()
	if err != nil {
		return nil, err
	}
	s, err := resolve.SessionFor(ctx, r, client.BaseURL())
	if err != nil {
		return nil, err
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

// openSecretStore opens the store a command saves a secret in: the
// profile's, or with --insecure-storage the 0600 credentials file, as the
// resolver decides (resolve.StoreFor).
func openSecretStore(r *resolve.Resolver, p keystore.Profile, insecure bool) (*keystore.Store, error) {
	return keystore.Open(func() (credentials.Store, error) { return r.StoreFor(insecure, "the secret") }, p)
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
