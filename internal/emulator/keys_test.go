package emulator

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/wire"
)

func TestCreateKeyAnswersEveryFieldAndTheSecretOnce(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"name": "PDV", "description": "till 3", "permissions": []string{"loyalty:read", "customer:read", "loyalty:read"},
		"ip_restrictions": []string{"10.0.0.0/8", "2001:db8::1"}})
	if _, err := apikey.Parse(k.APIKey); err != nil || !strings.HasPrefix(k.APIKey, "zup_live_sk_") {
		t.Fatalf("api_key %q", k.APIKey)
	}
	if !apikey.ValidID(k.KeyID) || k.Name != "PDV" || k.Description != "till 3" || k.RateLimit != 100 || k.Environment != "production" ||
		k.Status != wire.StatusActive || k.KeyHint != apikey.Mask(k.APIKey) || k.RevokedAt != nil || k.RotatedFrom != nil || k.RotatedTo != nil ||
		k.LastUsedAt != nil || k.UsageCount != 0 {
		t.Fatalf("key %+v", k)
	}
	if fmt.Sprint(k.Permissions) != "[loyalty:read customer:read]" || fmt.Sprint(k.IPRestrictions) != "[10.0.0.0/8 2001:db8::1]" {
		t.Fatalf("lists %v %v", k.Permissions, k.IPRestrictions)
	}
	if d := k.ExpiresAt.Sub(k.CreatedAt); d != apikey.DefaultLifetime {
		t.Fatalf("lifetime %v", d)
	}
	got := h.getKey(sess, k.KeyID)
	if got.APIKey != "" || got.KeyHint != k.KeyHint {
		t.Fatalf("GET shows the secret or another hint: %+v", got)
	}
	events, err := h.srv.store.AuditEvents(t.Context())
	if err != nil || len(events) != 2 || events[0].Action != "login" || events[1].Action != "key.created" || events[1].KeyID != k.KeyID {
		t.Fatalf("audit %+v %v", events, err)
	}
}

func TestCreateKeyValidation(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"permissions": []string{"loyalty:read"}}, "name"},
		{map[string]any{"name": "", "permissions": []string{"loyalty:read"}}, "name"},
		{map[string]any{"name": strings.Repeat("x", 101), "permissions": []string{"loyalty:read"}}, "name"},
		{map[string]any{"name": "a\x07b", "permissions": []string{"loyalty:read"}}, "name"},
		{map[string]any{"name": "n", "description": strings.Repeat("d", 501), "permissions": []string{"loyalty:read"}}, "description"},
		{map[string]any{"name": "n", "description": "clear\x1b[2Jscreen", "permissions": []string{"loyalty:read"}}, "description"},
		{map[string]any{"name": "n", "description": "over\rwritten", "permissions": []string{"loyalty:read"}}, "description"},
		{map[string]any{"name": "n"}, "permissions"},
		{map[string]any{"name": "n", "permissions": []string{}}, "permissions"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:fly"}}, "permissions"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "rate_limit": 0}, "rate_limit"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "rate_limit": 2001}, "rate_limit"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "rate_limit": "many"}, "rate_limit"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "environment": "dev"}, "environment"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "ip_restrictions": []string{"10.0.0.5/8"}}, "ip_restrictions"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "ip_restrictions": make([]string, 51)}, "ip_restrictions"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "expires_at": past}, "expires_at"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "expires_at": "tomorrow"}, "expires_at"},
		{map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "status": "active"}, "status"},
	}
	for _, c := range cases {
		e := expect(t, h.request("POST", "/v1/api-keys", sess, c.body), 400, wire.CodeValidation)
		if e.Details["field"] != c.field {
			t.Errorf("%v: field %v, want %s (%s)", c.body, e.Details["field"], c.field, e.Message)
		}
	}
	var list wire.KeyList
	h.request("GET", "/v1/api-keys?status=all", sess, nil).decode(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("invalid creates left %d keys", len(list.Data))
	}
}

func TestListKeysFiltersByEnvironmentAndStatus(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	prod := h.createKey(sess, map[string]any{"name": "prod"})
	stg := h.createKey(sess, map[string]any{"name": "stg", "environment": "staging"})
	short := h.createKey(sess, map[string]any{"name": "short", "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	gone := h.createKey(sess, map[string]any{"name": "gone"})
	expect(t, h.request("DELETE", "/v1/api-keys/"+gone.KeyID, sess, nil), 200)
	h.advance(2 * 3600)
	ids := func(query string) string {
		t.Helper()
		r := h.request("GET", "/v1/api-keys"+query, sess, nil)
		expect(t, r, 200)
		var l wire.KeyList
		r.decode(t, &l)
		var names []string
		for _, k := range l.Data {
			names = append(names, k.Name)
		}
		return strings.Join(names, ",")
	}
	for query, want := range map[string]string{
		"":                                   "stg,prod",
		"?status=active":                     "stg,prod",
		"?status=expired":                    "short",
		"?status=revoked":                    "gone",
		"?status=all":                        "gone,short,stg,prod",
		"?environment=staging":               "stg",
		"?environment=production&status=all": "gone,short,prod",
	} {
		if got := ids(query); got != want {
			t.Errorf("list%s = %s, want %s", query, got, want)
		}
	}
	_, _, _ = prod, stg, short
	expect(t, h.request("GET", "/v1/api-keys?status=dead", sess, nil), 400, wire.CodeValidation)
	expect(t, h.request("GET", "/v1/api-keys?environment=dev", sess, nil), 400, wire.CodeValidation)
}

func TestKeysOfAnotherPartnerAreNotFound(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	// Seed a second partner and log in as it.
	h2, other := h.otherPartner()
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		expect(t, h2.request(m, "/v1/api-keys/"+k.KeyID, other, map[string]any{}), 404, wire.CodeNotFound, "API key not found")
	}
	expect(t, h2.rotate(other, k.KeyID, nil), 404, wire.CodeNotFound, "API key not found")
	expect(t, h2.request("GET", "/v1/api-keys/key_000000000000", other, nil), 404, wire.CodeNotFound, "API key not found")
	expect(t, h2.request("GET", "/v1/api-keys/not-an-id", other, nil), 404, wire.CodeNotFound, "API key not found")
}

func TestUpdateKeyChangesOnlyPresentFields(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"name": "before", "description": "keep me", "ip_restrictions": []string{"127.0.0.1"}, "rate_limit": 5})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200) // cache it
	r := h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, map[string]any{"name": "after", "permissions": []string{"customer:read"}, "rate_limit": 7})
	expect(t, r, 200)
	var u wire.Key
	r.decode(t, &u)
	if u.Name != "after" || u.Description != "keep me" || fmt.Sprint(u.Permissions) != "[customer:read]" || u.RateLimit != 7 ||
		fmt.Sprint(u.IPRestrictions) != "[127.0.0.1]" || !u.ExpiresAt.Equal(k.ExpiresAt) || u.UsageCount != 1 {
		t.Fatalf("updated %+v", u)
	}
	// The verification path sees the change at once.
	v := h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	if v.header.Get("X-RateLimit-Limit") != "7" {
		t.Fatalf("limit after update %s", v.header.Get("X-RateLimit-Limit"))
	}
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil), 403)
	// Clearing the IP list.
	r = h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, map[string]any{"ip_restrictions": []string{}})
	r.decode(t, &u)
	if len(u.IPRestrictions) != 0 {
		t.Fatalf("ips %v", u.IPRestrictions)
	}
	for body, field := range map[string]string{
		`{"environment":"staging"}`:             "environment",
		`{"rate_limit":0}`:                      "rate_limit",
		`{"permissions":[]}`:                    "permissions",
		`{"name":""}`:                           "name",
		`{"key_id":"key_x"}`:                    "key_id",
		`{"expires_at":"2000-01-01T00:00:00Z"}`: "expires_at",
	} {
		e := expect(t, h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, body), 400, wire.CodeValidation)
		if e.Details["field"] != field {
			t.Errorf("%s: field %v", body, e.Details["field"])
		}
	}
	events, _ := h.srv.store.AuditEvents(t.Context())
	if n := countActions(events, "key.updated"); n != 2 {
		t.Fatalf("%d key.updated events, want 2", n)
	}
}

func TestRevokedKeyCannotBeUpdatedAndRevokeIsIdempotent(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	r1 := h.request("DELETE", "/v1/api-keys/"+k.KeyID, sess, nil)
	expect(t, r1, 200)
	h.advance(10)
	r2 := h.request("DELETE", "/v1/api-keys/"+k.KeyID, sess, nil)
	expect(t, r2, 200)
	var a, b wire.Key
	r1.decode(t, &a)
	r2.decode(t, &b)
	if a.Status != wire.StatusRevoked || b.RevokedAt == nil || !a.RevokedAt.Equal(*b.RevokedAt) {
		t.Fatalf("revokes %+v / %+v", a, b)
	}
	expect(t, h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, map[string]any{"name": "x"}), 409, wire.CodeConflict, "API key has been revoked")
	events, _ := h.srv.store.AuditEvents(t.Context())
	if n := countActions(events, "key.revoked"); n != 1 {
		t.Fatalf("%d key.revoked events, want 1", n)
	}
}

func TestRotateCopiesSettingsAndLifetime(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	old := h.createKey(sess, map[string]any{"name": "ci", "description": "d", "permissions": []string{"keys:rotate", "loyalty:read"},
		"rate_limit": 42, "environment": "staging", "ip_restrictions": []string{"127.0.0.0/8"}, "expires_at": exp.Format(time.RFC3339)})
	h.advance(3600)
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 600})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if !strings.HasPrefix(n.APIKey, "zup_test_sk_") || n.KeyID == old.KeyID || n.Name != "ci" || n.Description != "d" || n.RateLimit != 42 ||
		n.Environment != "staging" || fmt.Sprint(n.Permissions) != fmt.Sprint(old.Permissions) || fmt.Sprint(n.IPRestrictions) != "[127.0.0.0/8]" ||
		n.RotatedFrom == nil || *n.RotatedFrom != old.KeyID || n.KeyHint != apikey.Mask(n.APIKey) {
		t.Fatalf("successor %+v", n)
	}
	if got, want := n.ExpiresAt.Sub(n.CreatedAt), old.ExpiresAt.Sub(old.CreatedAt); got != want {
		t.Fatalf("successor lifetime %v, want %v", got, want)
	}
	if n.PreviousKey == nil || n.PreviousKey.KeyID != old.KeyID || n.PreviousKey.Status != wire.StatusActive ||
		!n.PreviousKey.ExpiresAt.Equal(n.CreatedAt.Add(600*time.Second)) {
		t.Fatalf("previous_key %+v", n.PreviousKey)
	}
	o := h.getKey(sess, old.KeyID)
	if o.RotatedTo == nil || *o.RotatedTo != n.KeyID || !o.ExpiresAt.Equal(n.PreviousKey.ExpiresAt) {
		t.Fatalf("old key %+v", o)
	}
	// Both work during the grace period; the old one stops after it.
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 200)
	expect(t, h.request("GET", "/v1/auth/verify", n.APIKey, nil), 200)
	h.advance(601)
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
	expect(t, h.request("GET", "/v1/auth/verify", n.APIKey, nil), 200)
	events, _ := h.srv.store.AuditEvents(t.Context())
	if countActions(events, "key.rotated") != 1 {
		t.Fatalf("audit %+v", events)
	}
}

func TestRotateWithExplicitExpiry(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 60, "expires_at": exp.Format(time.RFC3339)})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if !n.ExpiresAt.Equal(exp) {
		t.Fatalf("expires_at %v, want %v", n.ExpiresAt, exp)
	}
}

func TestRotateNeverExtendsOldKey(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	old := h.createKey(sess, map[string]any{"expires_at": exp.Format(time.RFC3339)})
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 7 * 24 * 3600})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if !n.PreviousKey.ExpiresAt.Equal(exp) {
		t.Fatalf("old key now expires %v, want its own %v", n.PreviousKey.ExpiresAt, exp)
	}
	// Nor can a PATCH extend a rotated key.
	later := exp.Add(24 * time.Hour).Format(time.RFC3339)
	e := expect(t, h.request("PATCH", "/v1/api-keys/"+old.KeyID, sess, map[string]any{"expires_at": later}), 400, wire.CodeValidation)
	if e.Details["field"] != "expires_at" {
		t.Fatalf("details %v", e.Details)
	}
}

func TestRotateWithZeroGraceRevokesAtOnce(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 200)
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 0})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if n.PreviousKey.Status != wire.StatusRevoked {
		t.Fatalf("previous %+v", n.PreviousKey)
	}
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
}

func TestRotateDefaultsToTwentyFourHoursGrace(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	r := h.rotate(sess, old.KeyID, nil)
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if d := n.PreviousKey.ExpiresAt.Sub(n.CreatedAt); d != 24*time.Hour {
		t.Fatalf("default grace %v", d)
	}
}

func TestRotateRefusesGraceOverOneWeek(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	for _, g := range []int64{7*24*3600 + 1, -1} {
		e := expect(t, h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": g}), 400, wire.CodeValidation)
		if e.Details["field"] != "grace_period_seconds" {
			t.Fatalf("details %v", e.Details)
		}
	}
	expect(t, h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 7 * 24 * 3600}), 201)
}

func TestRotatingTwiceIsAConflict(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	expect(t, h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 60}), 201)
	expect(t, h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 60}), 409, wire.CodeConflict, "API key has already been rotated")
	// Also after an immediate rotation, which revoked it.
	other := h.createKey(sess, nil)
	expect(t, h.rotate(sess, other.KeyID, map[string]any{"grace_period_seconds": 0}), 201)
	expect(t, h.rotate(sess, other.KeyID, nil), 409, wire.CodeConflict, "API key has already been rotated")
}

func TestRevokedOrExpiredKeyCannotBeRotated(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	gone := h.createKey(sess, nil)
	expect(t, h.request("DELETE", "/v1/api-keys/"+gone.KeyID, sess, nil), 200)
	expect(t, h.rotate(sess, gone.KeyID, nil), 409, wire.CodeConflict, "API key has been revoked")
	short := h.createKey(sess, map[string]any{"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	h.advance(3601)
	expect(t, h.rotate(sess, short.KeyID, nil), 409, wire.CodeConflict, "API key has expired")
}

func TestConcurrentRotationsExactlyOneWins(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, nil)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.request("POST", "/v1/api-keys/"+old.KeyID+"/rotate", sess, map[string]any{"grace_period_seconds": 60})
			mu.Lock()
			statuses[i] = r.status
			if r.status == 201 {
				var k wire.Key
				r.decode(t, &k)
				h.secrets = append(h.secrets, k.APIKey)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		if s == 201 {
			won++
		} else if s != 409 {
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d rotations won, want 1 (%v)", won, statuses)
	}
	var list wire.KeyList
	h.request("GET", "/v1/api-keys?status=all", sess, nil).decode(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("%d keys after concurrent rotations, want 2", len(list.Data))
	}
}

func TestSuccessorSharesTheLineageBudget(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, map[string]any{"rate_limit": 4})
	for i := 0; i < 3; i++ {
		expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 200)
	}
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 600})
	var n wire.Key
	r.decode(t, &n)
	v := h.request("GET", "/v1/auth/verify", n.APIKey, nil)
	expect(t, v, 200)
	if v.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("successor remaining %s, want 0 (shared budget)", v.header.Get("X-RateLimit-Remaining"))
	}
	expect(t, h.request("GET", "/v1/auth/verify", n.APIKey, nil), 429)
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), 429)
	// An unrelated key has its own budget.
	other := h.createKey(sess, map[string]any{"rate_limit": 4})
	expect(t, h.request("GET", "/v1/auth/verify", other.APIKey, nil), 200)
}

func TestSelfRotationNeedsKeysRotate(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	plain := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read"}})
	e := expect(t, h.request("POST", "/v1/api-keys/self/rotate", plain.APIKey, map[string]any{"grace_period_seconds": 60}), 403,
		wire.CodePermission, "Insufficient permissions for this operation")
	if e.Details["required_permission"] != "keys:rotate" {
		t.Fatalf("details %v", e.Details)
	}
	ci := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate", "loyalty:read"}})
	r := h.request("POST", "/v1/api-keys/self/rotate", ci.APIKey, map[string]any{"grace_period_seconds": 0})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	h.secrets = append(h.secrets, n.APIKey)
	if n.RotatedFrom == nil || *n.RotatedFrom != ci.KeyID || n.PreviousKey.Status != wire.StatusRevoked || n.APIKey == "" {
		t.Fatalf("self rotation %+v", n)
	}
	expect(t, h.request("GET", "/v1/auth/verify", ci.APIKey, nil), 401)
	expect(t, h.request("GET", "/v1/auth/verify", n.APIKey, nil), 200)
	expect(t, h.request("POST", "/v1/api-keys/self/rotate", sess, nil), 401, wire.CodeAuthentication, "Invalid API key format")
	events, _ := h.srv.store.AuditEvents(t.Context())
	last := events[len(events)-1]
	if last.Action != "key.rotated" || last.Actor != "key:"+ci.KeyID {
		t.Fatalf("audit %+v", last)
	}
}

func TestResetEmptiesDataAndKeepsThePartner(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 1})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	expect(t, h.request("POST", "/_emulator/reset", "", nil), 204)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "Invalid or expired API key")
	expect(t, h.request("GET", "/v1/auth/session", sess, nil), 401, wire.CodeAuthentication, "Invalid session token")
	var box wire.Outbox
	h.request("GET", "/_emulator/outbox", "", nil).decode(t, &box)
	if len(box.Messages) != 0 {
		t.Fatalf("outbox kept %d messages", len(box.Messages))
	}
	h.login() // the demo partner is still there, and no cooldown remains
}

func TestClockRouteValidatesAndAdvances(t *testing.T) {
	h := newHarness(t)
	for _, body := range []string{`{}`, `{"advance_seconds":0}`, `{"advance_seconds":-5}`, `{"advance_seconds":"x"}`} {
		e := expect(t, h.request("POST", "/_emulator/clock", "", body), 400, wire.CodeValidation)
		if e.Details["field"] != "advance_seconds" {
			t.Errorf("%s: details %v", body, e.Details)
		}
	}
	r := h.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": 86400})
	expect(t, r, 200)
	var c struct{ Now time.Time }
	r.decode(t, &c)
	if d := c.Now.Sub(time.Now()); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("now %v", c.Now)
	}
}

func countActions(events []auditEvent, action string) int {
	n := 0
	for _, e := range events {
		if e.Action == action {
			n++
		}
	}
	return n
}

// The self route takes only grace_period_seconds: a leaked key must not be
// able to mint a successor that outlives it.
func TestSelfRotationCannotChooseTheSuccessorsExpiry(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	ci := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate"}})
	far := time.Now().AddDate(5, 0, 0).UTC().Format(time.RFC3339)
	e := expect(t, h.request("POST", "/v1/api-keys/self/rotate", ci.APIKey, map[string]any{"grace_period_seconds": 0, "expires_at": far}),
		400, wire.CodeValidation)
	if e.Details["field"] != "expires_at" {
		t.Fatalf("details %v", e.Details)
	}
	if k := h.getKey(sess, ci.KeyID); k.RotatedTo != nil || k.Status != wire.StatusActive {
		t.Fatalf("a refused rotation changed the key: %+v", k)
	}
	h.advance(3600)
	r := h.request("POST", "/v1/api-keys/self/rotate", ci.APIKey, map[string]any{"grace_period_seconds": 0})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	h.secrets = append(h.secrets, n.APIKey)
	if !n.ExpiresAt.Equal(ci.ExpiresAt) {
		t.Fatalf("successor expires %v, want the old key's %v", n.ExpiresAt, ci.ExpiresAt)
	}
}

// Issue 11.2: a chain of self rotations used to give each successor the old
// key's lifetime starting now, so a leaked keys:rotate key outlived its
// expiry. Now every successor keeps the first key's expires_at, and the key
// objects say the key itself rotated them; a person rotating by id with a
// session may extend the lineage, and that shows as a session rotation.
func TestSelfRotationChainNeverOutlivesTheFirstExpiry(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	first := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate"}, "expires_at": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	cur := first
	for i := range 5 {
		h.advance(3600)
		r := h.request("POST", "/v1/api-keys/self/rotate", cur.APIKey, map[string]any{"grace_period_seconds": 0})
		expect(t, r, 201)
		var n wire.Key
		r.decode(t, &n)
		h.secrets = append(h.secrets, n.APIKey)
		if !n.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("self rotation %d: successor expires %v, after the lineage's %v", i+1, n.ExpiresAt, first.ExpiresAt)
		}
		if n.LastRotation == nil || n.LastRotation.By != wire.RotatedByKey || n.LastRotation.KeyID != cur.KeyID {
			t.Fatalf("rotate answer's last_rotation %+v, want by key %s", n.LastRotation, cur.KeyID)
		}
		old := h.getKey(sess, cur.KeyID)
		if old.LastRotation == nil || old.LastRotation.By != wire.RotatedByKey || old.LastRotation.KeyID != cur.KeyID {
			t.Fatalf("replaced key's last_rotation %+v", old.LastRotation)
		}
		cur = n
	}
	h.advance(30 * 24 * 3600) // past the first key's expiry
	expect(t, h.request("GET", "/v1/auth/verify", cur.APIKey, nil), 401, wire.CodeAuthentication, wire.MsgAPIKeyExpired)
	h.advance(61) // the OTP resend cooldown
	sess = h.login()

	// With a session, rotation by id may extend the lineage.
	fresh := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate"}})
	far := time.Now().AddDate(2, 0, 0).UTC().Truncate(time.Second)
	r := h.rotate(sess, fresh.KeyID, map[string]any{"grace_period_seconds": 0, "expires_at": far.Format(time.RFC3339)})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if !n.ExpiresAt.Equal(far) || n.LastRotation == nil || n.LastRotation.By != wire.RotatedBySession || n.LastRotation.KeyID != "" {
		t.Fatalf("session rotation: expires %v, last_rotation %+v", n.ExpiresAt, n.LastRotation)
	}
	var list wire.KeyList
	h.request("GET", "/v1/api-keys?status=all", sess, nil).decode(t, &list)
	by := map[string]string{}
	for _, k := range list.Data {
		if k.LastRotation != nil {
			by[k.KeyID] = k.LastRotation.By
		}
	}
	if by[n.KeyID] != wire.RotatedBySession || by[fresh.KeyID] != wire.RotatedBySession || by[first.KeyID] != wire.RotatedByKey || by[cur.KeyID] != wire.RotatedByKey {
		t.Fatalf("list's last_rotation by key: %v", by)
	}
	if k := h.getKey(sess, h.createKey(sess, nil).KeyID); k.LastRotation != nil {
		t.Fatalf("a key never rotated has last_rotation %+v", k.LastRotation)
	}
}

// The clock never wraps around: moves that would take it past its horizon
// (or overflow) are refused and leave it where it was, so expired keys stay
// expired.
func TestClockRefusesToPassItsHorizon(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	const century = 100 * 365 * 24 * 3600
	h.advance(century)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
	for i := 0; i < 2; i++ {
		e := expect(t, h.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": century}), 400, wire.CodeValidation)
		if e.Details["field"] != "advance_seconds" || !strings.Contains(e.Message, "2200-01-01T00:00:00Z") {
			t.Fatalf("answer %v", e)
		}
	}
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 401, wire.CodeAuthentication, "API key has expired")
	r := h.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": 1})
	expect(t, r, 200)
	var c struct{ Now time.Time }
	r.decode(t, &c)
	if want := time.Now().Add(century * time.Second); c.Now.Sub(want).Abs() > time.Hour {
		t.Fatalf("now %v, want about %v: a refused move changed the clock", c.Now, want)
	}

	// From a host clock far in the past, the offset itself would overflow
	// (a time.Duration holds about 292 years) long before the horizon.
	base := time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)
	old := newHarness(t, func(c *Config) { c.Now = func() time.Time { return base } })
	old.advance(century)
	old.advance(century)
	e := expect(t, old.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": century}), 400, wire.CodeValidation)
	if e.Details["field"] != "advance_seconds" {
		t.Fatalf("answer %v", e)
	}
	r = old.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": 1})
	expect(t, r, 200)
	r.decode(t, &c)
	if want := base.Add(2*century*time.Second + time.Second); !c.Now.Equal(want) {
		t.Fatalf("now %v, want %v", c.Now, want)
	}
}

// Key expiries stay within what the store can hold (Unix nanoseconds end in
// 2262): what a create, update or rotation answers is what is read back.
func TestExpiryStaysWithinTheClockHorizon(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	for _, far := range []string{"3000-01-01T00:00:00Z", "2700-01-01T00:00:00Z", "2200-01-01T00:00:01Z"} {
		e := expect(t, h.request("POST", "/v1/api-keys", sess, map[string]any{"name": "n", "permissions": []string{"loyalty:read"}, "expires_at": far}),
			400, wire.CodeValidation)
		if e.Details["field"] != "expires_at" {
			t.Fatalf("%s: %v", far, e)
		}
	}
	k := h.createKey(sess, map[string]any{"expires_at": "2199-01-01T00:00:00Z"})
	e := expect(t, h.request("PATCH", "/v1/api-keys/"+k.KeyID, sess, map[string]any{"expires_at": "2700-01-01T00:00:00Z"}), 400, wire.CodeValidation)
	if e.Details["field"] != "expires_at" {
		t.Fatalf("patch: %v", e)
	}
	if g := h.getKey(sess, k.KeyID); !g.ExpiresAt.Equal(k.ExpiresAt) {
		t.Fatalf("read back %v, created %v", g.ExpiresAt, k.ExpiresAt)
	}
	// A successor keeps the old key's lifetime, but not past the horizon.
	h.advance(100 * 365 * 24 * 3600)
	sess = h.login()
	r := h.rotate(sess, k.KeyID, map[string]any{"grace_period_seconds": 0})
	expect(t, r, 201)
	var n wire.Key
	r.decode(t, &n)
	if want := clockHorizon; !n.ExpiresAt.Equal(want) {
		t.Fatalf("successor expires %v, want %v", n.ExpiresAt, want)
	}
	if g := h.getKey(sess, n.KeyID); !g.ExpiresAt.Equal(n.ExpiresAt) || g.Status != wire.StatusActive {
		t.Fatalf("read back %+v, answered %v", g, n.ExpiresAt)
	}
}
