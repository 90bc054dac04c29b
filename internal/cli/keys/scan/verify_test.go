package scan

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/wire"
)

// TestClassify walks every answer of GET /auth/verify that --verify can
// get and the verdict it gives the key (docs/scan.md): dead, invalid, live
// though refused, or nothing known (unverified), and a server that cannot
// be reached.
func TestClassify(t *testing.T) {
	apiErr := func(status int, code, msg string) error {
		e := &api.Error{Status: status, Code: "x", Message: msg}
		if code != "" {
			e.Details = map[string]any{wire.DetailErrorCode: code}
		}
		return e
	}
	for _, tt := range []struct {
		name string
		err  error
		want check
	}{
		{"expired, by code", apiErr(http.StatusUnauthorized, wire.ErrAPIKeyExpired, "whatever"), check{status: statusDead}},
		{"revoked, by code", apiErr(http.StatusUnauthorized, wire.ErrAPIKeyRevoked, "whatever"), check{status: statusDead}},
		{"expired, by the real API's message", apiErr(http.StatusUnauthorized, "", wire.MsgAPIKeyExpired), check{status: statusDead}},
		{"wrapped", fmt.Errorf("verify: %w", apiErr(http.StatusUnauthorized, wire.ErrAPIKeyRevoked, "")), check{status: statusDead}},
		{"unknown key", apiErr(http.StatusUnauthorized, "", "Invalid API key"), check{status: statusInvalid}},
		{"401 with another code", apiErr(http.StatusUnauthorized, "INVALID_API_KEY", "Invalid API key"), check{status: statusInvalid}},
		{"expired message with another code", apiErr(http.StatusUnauthorized, "INVALID_API_KEY", wire.MsgAPIKeyExpired), check{status: statusInvalid}},
		{"IP allow-list", apiErr(http.StatusForbidden, wire.ErrIPNotAllowed, "IP not allowed"),
			check{status: statusLive, note: "IP not allowed here; scopes not read", why: "its IP allow-list refused this machine"}},
		{"403 for another reason", apiErr(http.StatusForbidden, "", "Forbidden"), check{status: statusUnverified}},
		{"rate limited", apiErr(http.StatusTooManyRequests, "", "Too many requests"),
			check{status: statusLive, note: "rate limited; scopes not read", why: "it is rate limited"}},
		{"server error", apiErr(http.StatusInternalServerError, "", "boom"), check{status: statusUnverified}},
		{"unreachable", &api.NetworkError{Op: "GET", URL: "https://api.zupy.com/v1/auth/verify", Err: errors.New("connection refused")},
			check{status: statusUnverified, unreachable: true}},
		{"not an answer", errors.New("decode: unexpected EOF"), check{status: statusUnverified}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}
