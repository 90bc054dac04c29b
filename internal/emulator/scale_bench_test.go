package emulator

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// BenchmarkScaleKeyPagesAndUsage measures the two reads issue 22 made
// scale: a walk of 10,000 keys through GET /api-keys in pages of 1,000 (what
// `zupy keys list --all` sends), and GET /api-keys/{id}/usage?since=30d for
// a key with 30 days of traffic (a request every minute: minute buckets for
// the last 48 hours, hour buckets before). Both go through the real handler
// over loopback on SQLite in a temp dir; the rows are written straight to
// the store. It reports walk_s and usage_s (the goal: each under 1 s).
// Run it with -benchtime=1x.
func BenchmarkScaleKeyPagesAndUsage(b *testing.B) {
	h := newHarness(b)
	sess := h.login()
	ctx := context.Background()
	partner, err := h.srv.store.FirstPartner(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := stamp(h.srv.clock.Now())
	const nKeys = 10_000
	err = h.srv.store.Update(ctx, func(tx *store.Tx) error {
		for i := range nKeys {
			k := store.Key{ID: fmt.Sprintf("key_%012d", i), SecretHash: fmt.Sprintf("hash%d", i), PartnerID: partner.ID,
				LineageID: fmt.Sprintf("lin_%d", i), Name: "scale", Permissions: []string{"loyalty:read"}, RateLimit: 100,
				Environment: "production", IPRestrictions: []string{}, KeyHint: "zup_live_sk_…0000",
				CreatedAt: now.Add(-time.Duration(nKeys-i) * time.Second), ExpiresAt: now.Add(365 * 24 * time.Hour)}
			if err := tx.InsertKey(ctx, k); err != nil {
				return err
			}
		}
		// 30 days of a request a minute for the newest key, rolled up as
		// the retention would have.
		var minutes []store.UsageMinute
		for t := now.Add(-30 * 24 * time.Hour).Truncate(time.Minute); t.Before(now); t = t.Add(time.Minute) {
			minutes = append(minutes, store.UsageMinute{KeyID: fmt.Sprintf("key_%012d", nKeys-1), Start: t,
				Counts: store.UsageCounts{Requests: 3, OK: 2, RateLimited: 1}, Scopes: map[string]int64{"loyalty:read": 2}})
		}
		if err := tx.AddUsageStats(ctx, minutes, nil); err != nil {
			return err
		}
		return tx.RollUpUsage(ctx, now)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var walk, usage time.Duration
	for b.Loop() {
		start := time.Now()
		seen, cursor := 0, ""
		for {
			path := "/v1/api-keys?status=all&limit=1000"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r := h.request("GET", path, sess, nil)
			expect(b, r, 200)
			var l wire.KeyList
			r.decode(b, &l)
			seen += len(l.Data)
			if l.NextCursor == nil {
				break
			}
			cursor = *l.NextCursor
		}
		walk = time.Since(start)
		if seen < nKeys {
			b.Fatalf("walk saw %d keys, want %d", seen, nKeys)
		}
		start = time.Now()
		var u wire.KeyUsage
		r := h.request("GET", fmt.Sprintf("/v1/api-keys/key_%012d/usage?since=30d", nKeys-1), sess, nil)
		expect(b, r, 200)
		r.decode(b, &u)
		usage = time.Since(start)
		if u.Totals.Requests < 3*(30*24*60-60) {
			b.Fatalf("usage totals %+v", u.Totals)
		}
		h.advance(61) // a fresh session budget for the next invocation
	}
	b.ReportMetric(walk.Seconds(), "walk_s")
	b.ReportMetric(usage.Seconds(), "usage_s")
	b.ReportMetric(0, "ns/op")
	b.Logf("keys list --all over %d keys: %s in pages of 1000; usage --since 30d: %s", nKeys, walk.Round(time.Millisecond), usage.Round(time.Millisecond))
}
