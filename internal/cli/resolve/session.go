package resolve

import (
	"context"
	"errors"
	"fmt"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/clierr"
	"github.com/zupy/zupy-cli/internal/config"
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
		return Session{Source: src, Profile: r.Profile}, clierr.NotLoggedIn(r.Profile)
	}
	return Session{Token: tok, Source: src, Profile: r.Profile}, err
}

// SessionFor returns the session to send to baseURL, as SessionToken finds
// it, after checking where it came from: a stored session is only sent to
// the base URL that issued it (recorded at login), so a login to the
// emulator or to staging never reaches another server. A session from
// ZUPY_SESSION_TOKEN is the user's explicit choice and is sent; a stored
// session without a record of its issuer (stores older than the record)
// is sent as before. Every route that sends a session goes through here.
func SessionFor(ctx context.Context, r credentials.Resolver, baseURL string) (Session, error) {
	s, err := SessionToken(ctx, r)
	if err != nil || s.Source.Kind == credentials.SourceEnv || r.Store == nil {
		return s, err
	}
	if err := CheckSessionIssuer(ctx, r.Store, r.Profile, baseURL); err != nil {
		return Session{Source: s.Source, Profile: s.Profile}, err
	}
	return s, nil
}

// IssuerMismatchError is a stored session that would be sent to a base URL
// other than the one that issued it. It is a usage error (exit 2).
type IssuerMismatchError struct {
	Profile, Issuer, Target string
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("the session of profile %s was issued by %s, not by %s: it is not sent there", e.Profile, e.Issuer, e.Target)
}

// CheckSessionIssuer returns an *IssuerMismatchError (wrapped in a usage
// error with the hint of what to do) when the profile's stored session was
// issued by a base URL other than target; nil when they match or no issuer
// is recorded.
func CheckSessionIssuer(ctx context.Context, store credentials.Store, profile, target string) error {
	recorded, err := store.Get(ctx, credentials.SessionIssuerAccount(profile))
	if errors.Is(err, credentials.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	issuer, err := config.NormalizeBaseURL(recorded)
	if err != nil {
		issuer = recorded // unreadable: never equal to a valid target
	}
	if norm, err := config.NormalizeBaseURL(target); err == nil {
		target = norm
	}
	if issuer == target {
		return nil
	}
	mismatch := &IssuerMismatchError{Profile: profile, Issuer: issuer, Target: target}
	return clierr.WithHint(&clierr.UsageError{Err: mismatch},
		fmt.Sprintf("Log in at %s with `zupy login`, or set ZUPY_SESSION_TOKEN", target))
}

// Refused adds the hint to log in again to a 401 answered to a request made
// with the session, saying where the rejected session came from.
func (s Session) Refused(err error) error {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Kind() != api.KindAuth || apiErr.Code != api.CodeAuthentication {
		return err
	}
	if s.Source.Kind == credentials.SourceEnv {
		return clierr.WithHint(err, "The session in "+s.Source.Detail+" was refused: unset it or set a fresh one from `zupy auth token`")
	}
	return clierr.WithHint(err, clierr.LoginHint(s.Profile))
}
