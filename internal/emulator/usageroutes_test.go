package emulator

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

func (h *harness) usage(sess, path string) wire.KeyUsage {
	h.t.Helper()
	r := h.request("GET", path, sess, nil)
	expect(h.t, r, 200)
	var u wire.KeyUsage
	r.decode(h.t, &u)
	return u
}

func TestKeyUsageRouteAnswersSeriesTotalsScopesAndIPs(t *testing.T) {
	clk := newFakeNow(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	h := newHarness(t, clk.config(), trustLoopback)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read", "customer:read", "webhooks:manage"}, "rate_limit": 3})
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil, from("198.51.100.7")...), 200)
	expect(t, h.request("GET", "/v1/loyalty/customers/search?q=ana", k.APIKey, nil, from("198.51.100.8")...), 200)
	expect(t, h.request("GET", "/v1/auth/verify?permission=coupons:redeem", k.APIKey, nil, from("198.51.100.8")...), 403)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, from("198.51.100.8")...), 429)
	clk.add(5 * time.Minute)

	u := h.usage(sess, "/v1/api-keys/"+k.KeyID+"/usage?since=1h")
	if u.KeyID != k.KeyID || u.Bucket != "minute" || len(u.Series) != 60 || u.RateLimit != 3 {
		t.Fatalf("usage %s bucket %s, %d points, limit %d", u.KeyID, u.Bucket, len(u.Series), u.RateLimit)
	}
	want := wire.UsageCounts{Requests: 4, OK: 2, Forbidden: 1, RateLimited: 1}
	if u.Totals != want {
		t.Errorf("totals %+v, want %+v", u.Totals, want)
	}
	var sum wire.UsageCounts
	for _, p := range u.Series {
		sum.Requests += p.Requests
	}
	if sum.Requests != 4 || u.PeakMinute == nil || u.PeakMinute.Requests != 4 || !u.PeakMinute.Start.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("series sum %d, peak %+v", sum.Requests, u.PeakMinute)
	}
	if len(u.Scopes) != 3 || u.Scopes["loyalty:read"] != 1 || u.Scopes["customer:read"] != 1 || u.Scopes["coupons:redeem"] != 1 {
		t.Errorf("scopes %v", u.Scopes)
	}
	if len(u.IPs) != 2 || u.IPs[0].Requests+u.IPs[1].Requests != 4 {
		t.Errorf("ips %+v", u.IPs)
	}
	if h := h.usage(sess, "/v1/api-keys/"+k.KeyID+"/usage?since=2d&bucket=hour"); len(h.Series) != 48 && len(h.Series) != 49 || h.Totals != want {
		t.Errorf("hour buckets: %d points, totals %+v", len(h.Series), h.Totals)
	}
	if d := h.usage(sess, "/v1/api-keys/"+k.KeyID+"/usage?since=30d"); d.Bucket != "day" {
		t.Errorf("30 days default to %s buckets, want day", d.Bucket)
	}
}

func TestUsageRoutesRefuseBadParametersNamingThem(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	base := "/v1/api-keys/" + k.KeyID + "/usage"
	for query, field := range map[string]string{
		"?since=yesterday":            "since",
		"?until=soon":                 "until",
		"?since=1h&until=2h":          "since",
		"?bucket=week":                "bucket",
		"?since=30d&bucket=minute":    "bucket",
		"?lineage=yes":                "lineage",
		"?since=%zz":                  "since",
		"?since=2026-13-01T00:00:00Z": "since",
		"?since=0h":                   "since",
	} {
		e := expect(t, h.request("GET", base+query, sess, nil), 400, wire.CodeValidation)
		if e.Details[wire.DetailField] != field {
			t.Errorf("%s: field %v, want %s", query, e.Details[wire.DetailField], field)
		}
	}
	for query, field := range map[string]string{"?limit=0": "limit", "?limit=1001": "limit", "?limit=x": "limit", "?cursor=abc": "cursor", "?since=x": "since"} {
		for _, path := range []string{"/v1/api-keys/usage", "/v1/api-keys"} {
			if field == "since" && path == "/v1/api-keys" {
				continue
			}
			e := expect(t, h.request("GET", path+query, sess, nil), 400, wire.CodeValidation)
			if e.Details[wire.DetailField] != field {
				t.Errorf("%s%s: field %v, want %s", path, query, e.Details[wire.DetailField], field)
			}
		}
	}
}

func TestUsageRoutesAuthenticate(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read"}})
	rot := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate"}})
	for _, path := range []string{"/v1/api-keys/" + k.KeyID + "/usage", "/v1/api-keys/usage"} {
		expect(t, h.request("GET", path, "", nil), 401, wire.CodeAuthentication, wire.MsgMissingAuthorization)
		expect(t, h.request("GET", path, k.APIKey, nil), 401, wire.CodeAuthentication, wire.MsgInvalidSessionToken)
	}
	expect(t, h.request("GET", "/v1/api-keys/self/usage", sess, nil), 401, wire.CodeAuthentication, wire.MsgInvalidAPIKeyFormat)
	e := expect(t, h.request("GET", "/v1/api-keys/self/usage", k.APIKey, nil), 403, wire.CodePermission)
	if e.Details[wire.DetailRequiredPermission] != "keys:rotate" {
		t.Errorf("self usage without keys:rotate: %v", e.Details)
	}
	// A key holding keys:rotate reads its own lineage; the call itself is
	// not counted (a management call on /api-keys/self/*).
	expect(t, h.request("GET", "/v1/auth/verify", rot.APIKey, nil), 200)
	r := h.rotate(sess, rot.KeyID, map[string]any{"grace_period_seconds": 3600})
	expect(t, r, 201)
	var next wire.Key
	r.decode(t, &next)
	expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), 200)
	expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), 200)
	u := h.usage(next.APIKey, "/v1/api-keys/self/usage?lineage=true")
	u = h.usage(next.APIKey, "/v1/api-keys/self/usage?lineage=true")
	if u.KeyID != next.KeyID || u.Totals.Requests != 2 || len(u.Lineage) != 1 || u.Lineage[0].KeyID != rot.KeyID || u.Lineage[0].Totals.Requests != 1 {
		t.Fatalf("self usage %+v", u)
	}
	if s := h.usage(sess, "/v1/api-keys/"+rot.KeyID+"/usage?lineage=true"); len(s.Lineage) != 1 || s.Lineage[0].KeyID != next.KeyID || s.Lineage[0].Totals.Requests != 2 {
		t.Fatalf("lineage of the old key %+v", s.Lineage)
	}

	// Another partner's key, an unknown and a malformed id: 404.
	h2, other := h.otherPartner()
	for _, id := range []string{k.KeyID, "key_000000000000", "nope"} {
		expect(t, h2.request("GET", "/v1/api-keys/"+id+"/usage", other, nil), 404, wire.CodeNotFound, wire.MsgKeyNotFound)
	}
	var sum wire.UsageSummaryList
	r = h2.request("GET", "/v1/api-keys/usage", other, nil)
	expect(t, r, 200)
	r.decode(t, &sum)
	if len(sum.Data) != 0 {
		t.Errorf("another partner's summary lists %d keys", len(sum.Data))
	}
}

// walk follows next_cursor from path (which has a query) and returns every
// key id seen, in order, calling between(page) after each page.
func walk[T any](t *testing.T, h *harness, sess, path string, ids func(T) ([]string, *string), between func(page int)) []string {
	t.Helper()
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		r := h.request("GET", p, sess, nil)
		expect(t, r, 200)
		var v T
		r.decode(t, &v)
		got, next := ids(v)
		seen = append(seen, got...)
		if next == nil {
			return seen
		}
		if page > 100 {
			t.Fatal("walk does not end")
		}
		cursor = *next
		between(page)
	}
}

// A walk of the key list (and of the usage summary, paged the same way)
// sees every key that existed when it began exactly once, newest first,
// while keys are created and revoked between its pages.
func TestKeyPagesWalkEveryKeyOnceWhileKeysChange(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	var made []string
	for i := range 11 {
		made = append(made, h.createKey(sess, map[string]any{"name": fmt.Sprintf("k%d", i)}).KeyID)
		if i%4 == 0 {
			h.advance(1) // some keys share a second, some do not
		}
	}
	keyIDs := func(l wire.KeyList) ([]string, *string) {
		if l.NextCursor != nil && len(l.Data) != 3 && len(l.Data) != 1000 {
			t.Errorf("page of %d keys before the last, limit 3", len(l.Data))
		}
		var ids []string
		for _, k := range l.Data {
			ids = append(ids, k.KeyID)
		}
		return ids, l.NextCursor
	}
	summaryIDs := func(l wire.UsageSummaryList) ([]string, *string) {
		var ids []string
		for _, k := range l.Data {
			ids = append(ids, k.KeyID)
		}
		return ids, l.NextCursor
	}
	onceEach := func(t *testing.T, seen, want []string) {
		t.Helper()
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("walk saw\n%v\nwant each key that existed when it began once, newest first:\n%v", seen, want)
		}
	}
	newestFirst := slices.Clone(made)
	slices.Reverse(newestFirst)
	t.Run("list", func(t *testing.T) {
		seen := walk(t, h, sess, "/v1/api-keys?limit=3", keyIDs, func(page int) {
			h.createKey(sess, map[string]any{"name": fmt.Sprintf("new%d", page)})
			// revoke one on a page still to come
			expect(t, h.request("DELETE", "/v1/api-keys/"+made[len(made)-4-page*3], sess, nil), 200)
			h.advance(1)
		})
		onceEach(t, seen, newestFirst)
	})
	all := walk(t, h, sess, "/v1/api-keys?status=all&limit=1000", keyIDs, func(int) {})
	t.Run("summary", func(t *testing.T) {
		seen := walk(t, h, sess, "/v1/api-keys/usage?limit=4", summaryIDs, func(int) { h.createKey(sess, nil) })
		onceEach(t, seen, all)
	})
	if next := walk(t, h, sess, "/v1/api-keys?status=all&limit=1000", keyIDs, func(int) {}); len(next) != len(all)+3 {
		t.Errorf("%d keys after the summary walk, want %d", len(next), len(all)+3)
	}
}

// NoUsageStats (the hidden --no-usage of `zupy emulator start`, for make
// bench) records no statistics, and nothing else changes: usage_count still
// counts and the answers are the same.
func TestNoUsageStatsRecordsNoStatisticsButStillCountsUses(t *testing.T) {
	for _, off := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoUsageStats=%v", off), func(t *testing.T) {
			clk := newFakeNow(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			h := newHarness(t, clk.config(), func(c *Config) { c.NoUsageStats = off })
			sess := h.login()
			k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read"}})
			for range 3 {
				expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil), 200)
			}
			clk.add(time.Minute)
			u := h.usage(sess, "/v1/api-keys/"+k.KeyID+"/usage?since=1h")
			want := int64(3)
			if off {
				want = 0
			}
			if u.Totals.Requests != want {
				t.Errorf("usage totals %+v, want %d requests", u.Totals, want)
			}
			var got wire.Key
			r := h.request("GET", "/v1/api-keys/"+k.KeyID, sess, nil)
			expect(t, r, 200)
			r.decode(t, &got)
			if got.UsageCount != 3 {
				t.Errorf("usage_count %d, want 3", got.UsageCount)
			}
		})
	}
}
