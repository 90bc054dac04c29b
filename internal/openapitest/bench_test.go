package openapitest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCheck measures what the middleware adds to one exchange: the
// validation of a key object answer (201, rate-limit headers, a closed
// schema of 20 fields) and of its request.
func BenchmarkCheck(b *testing.B) {
	const body = `{"key_id":"key_4i57mdz75y2f","name":"contract","description":"","permissions":["loyalty:read"],"rate_limit":100,"environment":"production","ip_restrictions":[],"created_at":"2026-12-05T20:00:23Z","expires_at":"2027-12-05T20:00:23Z","last_used_at":null,"usage_count":0,"status":"active","revoked_at":null,"rotated_from":null,"rotated_to":null,"key_hint":"zup_live_sk_…Xizg","last_rotation":null,"api_key":"zup_live_sk_D4Ao5czov8WKimtNg7Fj"}` // zupy:allow: a made-up key
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["X-RateLimit-Limit"] = []string{"120"}
		h["X-RateLimit-Remaining"] = []string{"119"}
		h["X-RateLimit-Reset"] = []string{"1796500000"}
		h["X-RateLimit-Window"] = []string{"60"}
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(body))
	})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", answer}, {"validated", Middleware(answer, func(msg string) { b.Fatal(msg) })}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("POST", "/v1/api-keys", strings.NewReader(`{"name":"contract","permissions":["loyalty:read"]}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer zup_sess_0123456789abcdef0123456789abcdef")
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
