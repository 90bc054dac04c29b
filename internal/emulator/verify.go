package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/ratelimit"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/wire"
)

// keyHandler serves a route authenticated by an API key.
type keyHandler func(w http.ResponseWriter, r *http.Request, k *cachedKey, d ratelimit.Decision) error

// withKey runs the verification pipeline of docs/api.md before h, in order, the
// first failure answering: 1 format, 2 lookup by hash, 3 revoked/expired,
// 4 IP restrictions, 5 rate limit, 6 the route's scope (routeScope, if any)
// and every ?permission= asked for. Requests that pass 1–4 count against
// the key lineage's budget and its usage, and carry the X-RateLimit headers.
// When record is set, every request whose key was identified (stage 2) is
// counted in the usage statistics with its answer's class (docs/api.md
// "Usage"); the management calls on /api-keys/self/* are not.
func (s *Server) withKey(routeScope string, record bool, h keyHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v verification
		k, d, err := s.verifyKey(r.Context(), w, r, routeScope, &v)
		if err == nil {
			err = h(w, r, k, d)
		}
		status := http.StatusOK
		if err != nil {
			status = s.writeError(w, r, err)
		}
		if record && v.key != nil && !s.cfg.NoUsageStats {
			ip, _ := s.clientIP(r)
			s.stats.record(v.key.ID, v.now, status, ip, v.scopesChecked, routeScope, v.asked)
		}
	}
}

// verification is what verifyKey learned, for the usage statistics: the key
// once identified, the time it was checked at, and whether stage 6 ran.
type verification struct {
	key           *cachedKey
	now           time.Time
	scopesChecked bool
	asked         []string
}

func (s *Server) verifyKey(ctx context.Context, w http.ResponseWriter, r *http.Request, routeScope string, v *verification) (*cachedKey, ratelimit.Decision, error) {
	var d ratelimit.Decision
	secret, err := keyFromHeader(r)
	if err != nil {
		return nil, d, err
	}
	k, err := s.lookupKey(ctx, secret)
	if err != nil {
		return nil, d, err
	}
	now := s.clock.Now()
	v.key, v.now = k, now
	if err := checkLive(k, now); err != nil {
		return nil, d, err
	}
	if err := s.checkIP(k, r); err != nil {
		return nil, d, err
	}
	s.usage.record(k.ID, stamp(now)) // last_used_at in whole seconds, as every time shown
	s.publish(Event{Type: EventKeyUsed, KeyID: k.ID, At: now})
	d = s.limiter.Allow(k.limiterKey, k.RateLimit)
	setRateHeaders(w, d)
	if !d.Allowed {
		return nil, d, rateLimited(d)
	}
	var asked []string
	if r.URL.RawQuery != "" { // most verifications ask nothing: skip building the query map
		q, err := parseQuery(r, "permission")
		if err != nil {
			return nil, d, err
		}
		asked = q["permission"]
	}
	v.scopesChecked, v.asked = true, asked
	if err := checkScopes(k, routeScope, asked); err != nil {
		return nil, d, err
	}
	return k, d, nil
}

// keyFromHeader is stage 1: the header must be exactly "Bearer <key>" with
// a well-formed key.
func keyFromHeader(r *http.Request) (string, error) {
	h, ok := r.Header["Authorization"]
	if !ok || len(h) == 0 || h[0] == "" {
		return "", errMissingAuth
	}
	if len(h) > 1 {
		return "", errKeyFormat
	}
	k, err := apikey.ParseAuthorization(h[0])
	if err != nil {
		return "", errKeyFormat
	}
	return k.Secret, nil
}

// lookupKey is stage 2: find the key by the HMAC of its secret, from the
// cache or the database.
func (s *Server) lookupKey(ctx context.Context, secret string) (*cachedKey, error) {
	hash := s.store.Hash(secret)
	k, gen := s.keys.get(hash)
	if k != nil {
		return k, nil
	}
	row, err := s.store.KeyByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errKeyUnknown
	}
	if err != nil {
		return nil, err
	}
	k = newCachedKey(row)
	s.keys.fill(gen, hash, k)
	return k, nil
}

// checkLive is stage 3: not revoked, and now before expires_at.
func checkLive(k *cachedKey, now time.Time) error {
	if !k.RevokedAt.IsZero() {
		return errKeyRevoked
	}
	if !now.Before(k.ExpiresAt) {
		return errKeyExpired
	}
	return nil
}

// checkIP is stage 4: the client IP must be in ip_restrictions when the list
// is not empty.
func (s *Server) checkIP(k *cachedKey, r *http.Request) error {
	if len(k.IPRestrictions) == 0 {
		return nil
	}
	ip, ok := s.clientIP(r)
	if !ok || !apikey.IPAllowed(k.IPRestrictions, ip) {
		return errIPNotAllowed
	}
	return nil
}

// clientIP is the connection's peer address or, when the peer is a trusted
// proxy, the right-most X-Forwarded-For hop that is not a trusted proxy (all
// hops trusted: the left-most). ok is false when no address can be told.
func (s *Server) clientIP(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	peer := ap.Addr().Unmap()
	if !s.isTrusted(peer) {
		return peer, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return netip.Addr{}, false // a forged or garbled hop: trust nothing
		}
		client = a.Unmap()
		if !s.isTrusted(client) {
			return client, true
		}
	}
	return client, true
}

func (s *Server) isTrusted(a netip.Addr) bool {
	return slices.ContainsFunc(s.trusted, func(p netip.Prefix) bool { return p.Contains(a) })
}

// checkScopes is stage 6: the route's scope, then each ?permission= asked.
func checkScopes(k *cachedKey, routeScope string, asked []string) error {
	if routeScope != "" && !scope.Has(k.Permissions, routeScope) {
		return errInsufficient(routeScope, k.Permissions)
	}
	for _, p := range asked {
		for _, one := range strings.Split(p, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			if !scope.Valid(one) {
				return validation("permission", "unknown scope "+strconv.Quote(one))
			}
			if !scope.Has(k.Permissions, one) {
				return errInsufficient(one, k.Permissions)
			}
		}
	}
	return nil
}

// The X-RateLimit-* header names exactly as Zupy's docs spell them
// (docs/api.md#rate-limits). They are set as map keys, not with Header.Set, which would send Go's
// canonical X-Ratelimit-Limit; HTTP does not care, but people grep for them.
// Clients read them with Header.Get, which finds either spelling once the
// response is parsed.
const (
	hdrRateLimit     = "X-RateLimit-Limit"
	hdrRateRemaining = "X-RateLimit-Remaining"
	hdrRateReset     = "X-RateLimit-Reset"
	hdrRateWindow    = "X-RateLimit-Window"
)

var rateWindowValue = []string{"60"} // shared, read-only

// setRateHeaders writes the X-RateLimit-* headers of d. The three values
// share one backing array, each slice capped to its own element so that an
// Add to one header cannot overwrite the next.
func setRateHeaders(w http.ResponseWriter, d ratelimit.Decision) {
	h := w.Header()
	v := []string{strconv.Itoa(d.Limit), strconv.Itoa(max(d.Remaining, 0)), strconv.FormatInt(d.Reset.Unix(), 10)}
	h[hdrRateLimit] = v[0:1:1]
	h[hdrRateRemaining] = v[1:2:2]
	h[hdrRateReset] = v[2:3:3]
	h[hdrRateWindow] = rateWindowValue
}

// rateLimited is the 429 of a refused decision.
func rateLimited(d ratelimit.Decision) error {
	return tooMany(wire.ErrRateLimitExceeded, d.RetryAfterSeconds(),
		wire.DetailLimit, d.Limit, wire.DetailWindow, "60s")
}

// handleVerify is GET /auth/verify: the key passed the pipeline.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, k *cachedKey, d ratelimit.Decision) error {
	v := wire.Verification{
		Authenticated: true,
		KeyID:         k.ID,
		Environment:   k.Environment,
		Permissions:   nonNil(k.Permissions),
		RateLimit:     wire.RateLimitState{Limit: d.Limit, Remaining: max(d.Remaining, 0), ResetAt: d.Reset.UTC()},
		ExpiresAt:     k.ExpiresAt.UTC(),
	}
	if b, ok := appendVerification(make([]byte, 0, 256), &v); ok {
		w.Header()["Content-Type"] = jsonContentType
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return nil
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// appendVerification appends v as writeJSON encodes it, without reflection:
// the answer of every verification, where encoding/json took a sixth of the
// handler's time. It reports false for a string that would need escaping or
// a time outside years 0–9999, which writeJSON then encodes.
func appendVerification(b []byte, v *wire.Verification) ([]byte, bool) {
	if !v.Authenticated || v.RateLimit.ResetAt.Year() < 0 || v.RateLimit.ResetAt.Year() > 9999 || v.ExpiresAt.Year() < 0 || v.ExpiresAt.Year() > 9999 {
		return nil, false
	}
	str := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return false
			}
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
		return true
	}
	b = append(b, `{"authenticated":true,"key_id":`...)
	if !str(v.KeyID) {
		return nil, false
	}
	b = append(b, `,"environment":`...)
	if !str(v.Environment) {
		return nil, false
	}
	b = append(b, `,"permissions":[`...)
	for i, p := range v.Permissions {
		if i > 0 {
			b = append(b, ',')
		}
		if !str(p) {
			return nil, false
		}
	}
	b = append(b, `],"rate_limit":{"limit":`...)
	b = strconv.AppendInt(b, int64(v.RateLimit.Limit), 10)
	b = append(b, `,"remaining":`...)
	b = strconv.AppendInt(b, int64(v.RateLimit.Remaining), 10)
	b = append(b, `,"reset_at":"`...)
	b = v.RateLimit.ResetAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"},"expires_at":"`...)
	b = v.ExpiresAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\"}\n"...)
	return b, true
}
