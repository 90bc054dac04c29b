package store

import (
	"context"
	"strings"
	"time"
)

// UsageSummary is what GET /api-keys/usage says of one key besides its id.
type UsageSummary struct {
	Totals UsageCounts
	Scopes map[string]int64
	IPs    []UsageIP // most recent first
	Peak   *UsagePoint
}

// UsageSummaries reads the summary of each of ids over [since, until), as
// UsageTotals, UsageScopes, UsageIPs and PeakMinute (from peakSince) read
// one key's, in four queries for all of them: a page of a thousand keys is
// four statements, not four thousand. Every id has an entry. Each reads by
// the primary key (key_id first): the unary + keeps SQLite from choosing
// the (granularity, start) index, which would read every key's minutes.
func (q Queries) UsageSummaries(ctx context.Context, ids []string, since, until, peakSince time.Time) (map[string]*UsageSummary, error) {
	out := make(map[string]*UsageSummary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	args := func(rest ...any) []any {
		a := make([]any, 0, len(ids)+len(rest))
		for _, id := range ids {
			a = append(a, id)
			if out[id] == nil {
				out[id] = &UsageSummary{Scopes: map[string]int64{}}
			}
		}
		return append(a, rest...)
	}
	type total struct {
		id string
		c  UsageCounts
	}
	totals, err := queryAll(ctx, q.q, "usage totals", func(r rowScanner) (total, error) {
		var v total
		return v, r.Scan(&v.id, &v.c.Requests, &v.c.OK, &v.c.Unauthorized, &v.c.Forbidden, &v.c.RateLimited)
	}, `SELECT key_id, SUM(requests), SUM(ok), SUM(unauthorized), SUM(forbidden), SUM(rate_limited) FROM usage_buckets
		WHERE key_id IN `+in+` AND start >= ? AND start < ? GROUP BY key_id`, args(since.UnixNano(), until.UnixNano())...)
	if err != nil {
		return nil, err
	}
	for _, t := range totals {
		out[t.id].Totals = t.c
	}
	type scope struct {
		id, scope string
		n         int64
	}
	scopes, err := queryAll(ctx, q.q, "scope usage", func(r rowScanner) (scope, error) {
		var v scope
		return v, r.Scan(&v.id, &v.scope, &v.n)
	}, `SELECT key_id, scope, SUM(count) FROM usage_scopes WHERE key_id IN `+in+` AND start >= ? AND start < ? GROUP BY key_id, scope`,
		args(since.UnixNano(), until.UnixNano())...)
	if err != nil {
		return nil, err
	}
	for _, s := range scopes {
		out[s.id].Scopes[s.scope] = s.n
	}
	ips, err := queryAll(ctx, q.q, "client addresses", func(r rowScanner) (UsageIP, error) {
		var v UsageIP
		var last int64
		err := r.Scan(&v.KeyID, &v.IP, &v.Requests, &last)
		v.LastSeen = time.Unix(0, last).UTC()
		return v, err
	}, `SELECT key_id, ip, requests, last_seen FROM usage_ips WHERE key_id IN `+in+` AND last_seen >= ? ORDER BY key_id, last_seen DESC, ip`,
		args(since.UnixNano())...)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		out[ip.KeyID].IPs = append(out[ip.KeyID].IPs, ip)
	}
	type peak struct {
		id string
		p  UsagePoint
	}
	peaks, err := queryAll(ctx, q.q, "peak minutes", func(r rowScanner) (peak, error) {
		var v peak
		var start int64
		err := r.Scan(&v.id, &start, &v.p.Counts.Requests, &v.p.Counts.OK, &v.p.Counts.Unauthorized, &v.p.Counts.Forbidden, &v.p.Counts.RateLimited)
		v.p.Start = time.Unix(0, start).UTC()
		return v, err
	}, `SELECT key_id, start, requests, ok, unauthorized, forbidden, rate_limited FROM (
		SELECT key_id, start, requests, ok, unauthorized, forbidden, rate_limited,
			ROW_NUMBER() OVER (PARTITION BY key_id ORDER BY requests DESC, start DESC) AS n
		FROM usage_buckets WHERE key_id IN `+in+` AND +granularity = ? AND start >= ? AND start < ?) WHERE n = 1`,
		args(int64(Minute/time.Second), peakSince.UnixNano(), until.UnixNano())...)
	if err != nil {
		return nil, err
	}
	for _, p := range peaks {
		out[p.id].Peak = &p.p
	}
	return out, nil
}
