package emulator

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// sessionRateLimit is the budget of one session, requests per minute.
const sessionRateLimit = 120

// principal is an authenticated session.
type principal struct {
	session store.Session
	partner store.Partner
}

// sessionHandler serves a route authenticated by a session token.
type sessionHandler func(w http.ResponseWriter, r *http.Request, p principal) error

// withSession authenticates the session token of the request (an API key is
// not a session: 401 Invalid session token), applies the per-session budget
// of 120 requests per minute with the X-RateLimit headers, then runs h.
func (s *Server) withSession(h sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticateSession(r.Context(), r)
		if err == nil {
			d := s.limiter.Allow("session:"+p.session.ID, sessionRateLimit)
			setRateHeaders(w, d)
			if !d.Allowed {
				err = rateLimited(d)
			} else {
				err = h(w, r, p)
			}
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) authenticateSession(ctx context.Context, r *http.Request) (principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return principal{}, errMissingAuth
	}
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || !apikey.IsSessionToken(token) {
		return principal{}, errSessionInvalid
	}
	sess, err := s.store.SessionByHash(ctx, s.store.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, errSessionInvalid
	}
	if err != nil {
		return principal{}, err
	}
	if !sess.RevokedAt.IsZero() {
		return principal{}, errSessionInvalid
	}
	if !s.clock.Now().Before(sess.ExpiresAt) {
		return principal{}, errSessionExpired
	}
	partner, err := s.store.PartnerByID(ctx, sess.PartnerID)
	if err != nil {
		return principal{}, err
	}
	return principal{session: sess, partner: partner}, nil
}
