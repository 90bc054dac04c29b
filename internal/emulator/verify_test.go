package emulator

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

func TestVerifyAnswersKeyIdentityAndBudget(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 10, "permissions": []string{"customer:read", "loyalty:read"}, "environment": "staging"})
	r := h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	expect(t, r, 200)
	var v wire.Verification
	r.decode(t, &v)
	if !v.Authenticated || v.KeyID != k.KeyID || v.Environment != "staging" || len(v.Permissions) != 2 {
		t.Fatalf("verification %+v", v)
	}
	if v.RateLimit.Limit != 10 || v.RateLimit.Remaining != 9 || v.RateLimit.ResetAt.IsZero() {
		t.Fatalf("rate limit %+v", v.RateLimit)
	}
	for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Window"} {
		if r.header.Get(name) == "" {
			t.Errorf("missing %s", name)
		}
	}
	if r.header.Get("X-RateLimit-Window") != "60" || r.header.Get("X-RateLimit-Remaining") != "9" {
		t.Errorf("headers %v", r.header)
	}
	reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	if reset != v.RateLimit.ResetAt.Unix() {
		t.Errorf("X-RateLimit-Reset %d, reset_at %v", reset, v.RateLimit.ResetAt)
	}
}

func TestDateHeaderFollowsEmulatorClock(t *testing.T) {
	h := newHarness(t)
	before := h.request("GET", "/_emulator/outbox", "", nil)
	h.advance(3 * 24 * 3600)
	after := h.request("GET", "/_emulator/outbox", "", nil)
	t0, err0 := http.ParseTime(before.header.Get("Date"))
	t1, err1 := http.ParseTime(after.header.Get("Date"))
	if err0 != nil || err1 != nil {
		t.Fatalf("Date headers %q %q", before.header.Get("Date"), after.header.Get("Date"))
	}
	if d := t1.Sub(t0); d < 72*time.Hour || d > 72*time.Hour+time.Minute {
		t.Fatalf("Date moved by %v, want about 72h", d)
	}
}

func TestAuthenticationErrorsOfTheKeyPipeline(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	cases := []struct {
		name, header, message, upper string
	}{
		{"missing header", "", "Missing Authorization header", "MISSING_AUTHORIZATION"},
		{"no Bearer prefix", "zup_live_sk_abcdefghijklmnopqrst", "Invalid API key format", "INVALID_API_KEY_FORMAT"}, // zupy:allow
		{"bad format", "Bearer invalid_key_12345", "Invalid API key format", "INVALID_API_KEY_FORMAT"},
		{"quoted key", `Bearer "zup_live_sk_abcdefghijklmnopqrst"`, "Invalid API key format", "INVALID_API_KEY_FORMAT"},  // zupy:allow
		{"double space", "Bearer  zup_live_sk_abcdefghijklmnopqrst", "Invalid API key format", "INVALID_API_KEY_FORMAT"}, // zupy:allow
		{"session token", "Bearer " + sess, "Invalid API key format", "INVALID_API_KEY_FORMAT"},
		{"unknown key", "Bearer zup_live_sk_abcdefghijklmnopqrst", "Invalid or expired API key", "INVALID_API_KEY"}, // zupy:allow
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r resp
			if c.header == "" {
				r = h.request("GET", "/v1/auth/verify", "", nil)
			} else {
				r = h.request("GET", "/v1/auth/verify", "", nil, "Authorization", c.header)
			}
			e := expect(t, r, 401, wire.CodeAuthentication, c.message)
			if e.Details["error_code"] != c.upper {
				t.Errorf("error_code %v, want %s", e.Details["error_code"], c.upper)
			}
			if r.header.Get("X-RateLimit-Limit") != "" {
				t.Errorf("a request failing stage 1-2 carries rate-limit headers")
			}
		})
	}
}

func TestExpiredKeyIsRefused(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	k := h.createKey(sess, map[string]any{"expires_at": exp})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	h.advance(3601)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
	if got := h.getKey(sess, k.KeyID).Status; got != wire.StatusExpired {
		t.Fatalf("status %s, want expired", got)
	}
}

func TestRevocationIsEffectiveOnTheNextRequest(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200) // now cached
	r := h.request("DELETE", "/v1/api-keys/"+k.KeyID, sess, nil)
	expect(t, r, 200)
	var revoked wire.Key
	r.decode(t, &revoked)
	if revoked.Status != wire.StatusRevoked || revoked.RevokedAt == nil {
		t.Fatalf("revoke answered %+v", revoked)
	}
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
}

func TestIPRestrictionUsesPeerAddress(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	allowed := h.createKey(sess, map[string]any{"ip_restrictions": []string{"127.0.0.0/8"}})
	denied := h.createKey(sess, map[string]any{"ip_restrictions": []string{"203.0.113.7"}})
	expect(t, h.request("GET", "/v1/auth/verify", allowed.APIKey, nil), 200)
	r := h.request("GET", "/v1/auth/verify", denied.APIKey, nil)
	e := expect(t, r, 403, wire.CodePermission, "IP address not allowed for this API key")
	if e.Details["error_code"] != "IP_NOT_ALLOWED" {
		t.Fatalf("details %v", e.Details)
	}
	if r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatal("a request failing stage 4 carries rate-limit headers")
	}
	// An untrusted peer cannot claim another address.
	expect(t, h.request("GET", "/v1/auth/verify", denied.APIKey, nil, "X-Forwarded-For", "203.0.113.7"), 403)
}

func TestForwardedForCountsOnlyFromTrustedProxy(t *testing.T) {
	h := newHarness(t, trustLoopback)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"ip_restrictions": []string{"203.0.113.0/24"}})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 403) // the proxy itself is not allowed
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, "X-Forwarded-For", "203.0.113.7"), 200)
	// The right-most untrusted hop is the client; a spoofed left-most entry is ignored.
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, "X-Forwarded-For", "203.0.113.9, 198.51.100.1"), 403)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, "X-Forwarded-For", "198.51.100.1, 203.0.113.9, 127.0.0.5"), 200)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, "X-Forwarded-For", "garbage"), 403)
}

func TestPermissionChecks(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"customer:read"}})
	r := h.request("GET", "/v1/loyalty/program", k.APIKey, nil)
	e := expect(t, r, 403, wire.CodePermission, "Insufficient permissions for this operation")
	if e.Details["required_permission"] != "loyalty:read" || e.Details["error_code"] != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("details %v", e.Details)
	}
	if cur, _ := e.Details["current_permissions"].([]any); len(cur) != 1 || cur[0] != "customer:read" {
		t.Fatalf("current_permissions %v", e.Details["current_permissions"])
	}
	if r.header.Get("X-RateLimit-Remaining") == "" {
		t.Fatal("a 403 of stage 6 lacks rate-limit headers")
	}
	expect(t, h.request("GET", "/v1/auth/verify?permission=customer:read", k.APIKey, nil), 200)
	e = expect(t, h.request("GET", "/v1/auth/verify?permission=customer:read&permission=customer:write", k.APIKey, nil), 403)
	if e.Details["required_permission"] != "customer:write" {
		t.Fatalf("details %v", e.Details)
	}
	e = expect(t, h.request("GET", "/v1/auth/verify?permission=nope:x", k.APIKey, nil), 400, wire.CodeValidation)
	if e.Details["field"] != "permission" {
		t.Fatalf("details %v", e.Details)
	}
}

func TestLoyaltyProgramNeedsLoyaltyRead(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read"}})
	r := h.request("GET", "/v1/loyalty/program", k.APIKey, nil)
	expect(t, r, 200)
	var p map[string]any
	r.decode(t, &p)
	if p["name"] != "Demo Partner Rewards" || p["tiers"] == nil {
		t.Fatalf("program %s", r.body)
	}
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 3})
	for i := 0; i < 3; i++ {
		expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	}
	r := h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	e := expect(t, r, 429, wire.CodeRateLimit, "Request rate limit exceeded")
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 120 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if e.Details["limit"] != float64(3) || e.Details["window"] != "60s" || e.Details["retry_after"] != float64(ra) {
		t.Fatalf("details %v", e.Details)
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("remaining %q", r.header.Get("X-RateLimit-Remaining"))
	}
	h.advance(int64(ra) + 60)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
}

func TestRateLimitIsCheckedBeforeScopes(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 1, "permissions": []string{"customer:read"}})
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil), 403) // counts: passed 1-4
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil), 429)
}

func TestExpiredKeyFromDisallowedIPGets401(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	k := h.createKey(sess, map[string]any{"expires_at": exp, "ip_restrictions": []string{"203.0.113.7"}})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 403)
	h.advance(7200)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
}

func TestFailingRequestsDoNotCountAgainstTheLimit(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 2, "ip_restrictions": []string{"203.0.113.7"}})
	for i := 0; i < 5; i++ {
		expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 403)
	}
	// Lift the restriction: the whole budget is still there.
	expect(t, h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, map[string]any{"ip_restrictions": []string{}}), 200)
	r := h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	expect(t, r, 200)
	if r.header.Get("X-RateLimit-Remaining") != "1" {
		t.Fatalf("remaining %s, want 1", r.header.Get("X-RateLimit-Remaining"))
	}
}

func TestUsageStatsAreBatchedButVisible(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	if k.LastUsedAt != nil || k.UsageCount != 0 {
		t.Fatalf("new key has usage %+v", k)
	}
	for i := 0; i < 3; i++ {
		expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	}
	// Not yet in the database...
	row, err := h.srv.store.KeyByID(t.Context(), k.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	// ...(unless the 1 s flusher already ran), but always visible through the API.
	got := h.getKey(sess, k.KeyID)
	if got.UsageCount != 3 || got.LastUsedAt == nil {
		t.Fatalf("usage %d last %v (db had %d)", got.UsageCount, got.LastUsedAt, row.UsageCount)
	}
	if err := h.srv.flushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	row, err = h.srv.store.KeyByID(t.Context(), k.KeyID)
	if err != nil || row.UsageCount != 3 {
		t.Fatalf("flushed usage %d, %v", row.UsageCount, err)
	}
	if got := h.getKey(sess, k.KeyID); got.UsageCount != 3 {
		t.Fatalf("usage after flush %d, want 3 (double counted?)", got.UsageCount)
	}
}

func TestUsageIsFlushedOnClose(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	h.ts.Close()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv, err := Open(t.Context(), Config{DataDir: h.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	row, err := srv.store.KeyByID(t.Context(), k.KeyID)
	if err != nil || row.UsageCount != 1 || row.LastUsedAt.IsZero() {
		t.Fatalf("after restart usage %d last %v err %v", row.UsageCount, row.LastUsedAt, err)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	h := newHarness(t)
	expect(t, h.request("GET", "/v1/nope", "", nil), 404, wire.CodeNotFound)
	r := h.request("PUT", "/v1/api-keys", "", nil)
	expect(t, r, 405, "method_not_allowed")
	if r.header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
}
