package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestUsageSummariesMatchTheOneKeyReads checks that the page-at-once read of
// GET /api-keys/usage says of each key what UsageTotals, UsageScopes,
// UsageIPs and PeakMinute say of it: ties of the busiest minute, data
// outside the window, keys with no usage, other keys' rows.
func TestUsageSummariesMatchTheOneKeyReads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if err := s.InsertPartner(ctx, Partner{ID: "ptn_1", Name: "p", Email: "p@example.com", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = s.Update(ctx, func(tx *Tx) error {
		var minutes []UsageMinute
		var ips []UsageIP
		for i := range 6 {
			id := fmt.Sprintf("key_%012d", i)
			ids = append(ids, id)
			if err := tx.InsertKey(ctx, Key{ID: id, SecretHash: id, PartnerID: "ptn_1", LineageID: id, Name: "k", Permissions: []string{"loyalty:read"},
				RateLimit: 100, Environment: "staging", IPRestrictions: []string{}, KeyHint: "zup_test_sk_…0000", CreatedAt: now.Add(-72 * time.Hour), ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			if i == 0 {
				continue // no usage at all
			}
			for m := range 5 * i {
				start := now.Add(-time.Duration(m*37+1) * time.Minute).Truncate(time.Minute)
				minutes = append(minutes, UsageMinute{KeyID: id, Start: start,
					Counts: UsageCounts{Requests: int64(1 + (m*i)%4), OK: 1, Unauthorized: int64(m % 2), RateLimited: int64(m % 3)},
					Scopes: map[string]int64{"loyalty:read": int64(m), fmt.Sprintf("s%d", m%3): 1}})
			}
			for a := range i {
				ips = append(ips, UsageIP{KeyID: id, IP: fmt.Sprintf("203.0.113.%d", a), Requests: int64(a + 1), LastSeen: now.Add(-time.Duration(a*300) * time.Minute)})
			}
		}
		return tx.AddUsageStats(ctx, minutes, ips)
	})
	if err != nil {
		t.Fatal(err)
	}
	since, until := now.Add(-3*time.Hour+17*time.Second), now
	got, err := s.UsageSummaries(ctx, ids[:5], since, until, since.Truncate(time.Minute)) // the sixth key is not asked for
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d summaries for 5 keys", len(got))
	}
	for _, id := range ids[:5] {
		want := UsageSummary{Scopes: map[string]int64{}}
		if want.Totals, err = s.UsageTotals(ctx, id, since, until); err != nil {
			t.Fatal(err)
		}
		if want.Scopes, err = s.UsageScopes(ctx, id, since, until); err != nil {
			t.Fatal(err)
		}
		if want.IPs, err = s.UsageIPs(ctx, id, since); err != nil {
			t.Fatal(err)
		}
		if p, ok, err := s.PeakMinute(ctx, id, since.Truncate(time.Minute), until); err != nil {
			t.Fatal(err)
		} else if ok {
			want.Peak = &p
		}
		g := got[id]
		if g.Totals != want.Totals || !reflect.DeepEqual(g.Scopes, want.Scopes) || len(g.IPs) != len(want.IPs) ||
			(len(g.IPs) > 0 && !reflect.DeepEqual(g.IPs, want.IPs)) || !reflect.DeepEqual(g.Peak, want.Peak) {
			t.Errorf("%s:\n got %+v peak %+v\nwant %+v peak %+v", id, *g, g.Peak, want, want.Peak)
		}
	}
}
