package cmdutil

import (
	"context"
	"errors"
	"net/http"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// SessionToken returns the session that key management runs under:
// ZUPY_SESSION_TOKEN, else the profile's stored login. No session is
// NotLoggedIn (exit 3); an unusable keyring is its own error (exit 1) with
// the hint of what to do.
func (f *Factory) SessionToken(ctx context.Context) (string, credentials.Source, error) {
	r, err := f.Resolver()
	if err != nil {
		return "", credentials.Source{}, err
	}
	tok, src, err := r.Session(ctx)
	if errors.Is(err, credentials.ErrNotFound) {
		return "", src, NotLoggedIn(f.Profile())
	}
	return tok, src, err
}

// SessionError adds the hint to log in again to a 401 answered to a session
// request, saying where the rejected session came from.
func (f *Factory) SessionError(err error, src credentials.Source) error {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != api.CodeAuthentication {
		return err
	}
	if src.Kind == credentials.SourceEnv {
		return WithHint(err, "The session in "+src.Detail+" was refused: unset it or set a fresh one from `zupy auth token`")
	}
	return WithHint(err, NotLoggedIn(f.Profile()).(*CodedError).Hint)
}
