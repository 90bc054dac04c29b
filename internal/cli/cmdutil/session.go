package cmdutil

import (
	"context"
	"errors"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// Session is the session that key management runs under, with where it came
// from.
type Session struct {
	Token   string
	Source  credentials.Source
	Profile string
}

// SessionToken returns the session of r's profile: ZUPY_SESSION_TOKEN, else
// the profile's stored login. No session is NotLoggedIn (exit 3); an
// unusable keyring is its own error (exit 1) with the hint of what to do.
func SessionToken(ctx context.Context, r credentials.Resolver) (Session, error) {
	tok, src, err := r.Session(ctx)
	if errors.Is(err, credentials.ErrNotFound) {
		return Session{Source: src, Profile: r.Profile}, NotLoggedIn(r.Profile)
	}
	return Session{Token: tok, Source: src, Profile: r.Profile}, err
}

// Refused adds the hint to log in again to a 401 answered to a request made
// with the session, saying where the rejected session came from.
func (s Session) Refused(err error) error {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Kind() != api.KindAuth || apiErr.Code != api.CodeAuthentication {
		return err
	}
	if s.Source.Kind == credentials.SourceEnv {
		return WithHint(err, "The session in "+s.Source.Detail+" was refused: unset it or set a fresh one from `zupy auth token`")
	}
	return WithHint(err, LoginHint(s.Profile))
}
