package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Bucket granularities of the usage statistics, and how long each is kept
// before it rolls up into the next (docs/api.md "Usage").
const (
	Minute = time.Minute
	Hour   = time.Hour
	Day    = 24 * time.Hour

	MinuteRetention = 48 * time.Hour
	HourRetention   = 90 * Day
	DayRetention    = 730 * Day
)

// MaxUsageIPs is how many distinct client addresses are kept per key: the
// most recently seen.
const MaxUsageIPs = 20

// UsageCounts are the requests of a bucket by answer class.
type UsageCounts struct {
	Requests     int64
	OK           int64 // 2xx
	Unauthorized int64 // 401
	Forbidden    int64 // 403
	RateLimited  int64 // 429
}

// Add adds o to c.
func (c *UsageCounts) Add(o UsageCounts) {
	c.Requests += o.Requests
	c.OK += o.OK
	c.Unauthorized += o.Unauthorized
	c.Forbidden += o.Forbidden
	c.RateLimited += o.RateLimited
}

// UsageMinute is one key's recorded use in one minute.
type UsageMinute struct {
	KeyID  string
	Start  time.Time
	Counts UsageCounts
	Scopes map[string]int64
}

// UsageIP is one client address of a key.
type UsageIP struct {
	KeyID    string
	IP       string
	Requests int64
	LastSeen time.Time
}

// UsagePoint is one bucket of a series.
type UsagePoint struct {
	Start  time.Time
	Counts UsageCounts
}

// AddUsageStats adds minute buckets and client addresses, then keeps the
// MaxUsageIPs most recent addresses of each key touched.
func (q Queries) AddUsageStats(ctx context.Context, minutes []UsageMinute, ips []UsageIP) error {
	for _, m := range minutes {
		_, err := q.q.ExecContext(ctx, `INSERT INTO usage_buckets (key_id, start, granularity, requests, ok, unauthorized, forbidden, rate_limited)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, start, granularity) DO UPDATE SET
			requests = requests + excluded.requests, ok = ok + excluded.ok, unauthorized = unauthorized + excluded.unauthorized,
			forbidden = forbidden + excluded.forbidden, rate_limited = rate_limited + excluded.rate_limited`,
			m.KeyID, m.Start.UnixNano(), int64(Minute/time.Second), m.Counts.Requests, m.Counts.OK, m.Counts.Unauthorized,
			m.Counts.Forbidden, m.Counts.RateLimited)
		if err != nil {
			return fmt.Errorf("add usage of %s: %w", m.KeyID, err)
		}
		for sc, n := range m.Scopes {
			_, err := q.q.ExecContext(ctx, `INSERT INTO usage_scopes (key_id, start, granularity, scope, count) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key_id, start, granularity, scope) DO UPDATE SET count = count + excluded.count`,
				m.KeyID, m.Start.UnixNano(), int64(Minute/time.Second), sc, n)
			if err != nil {
				return fmt.Errorf("add scope usage of %s: %w", m.KeyID, err)
			}
		}
	}
	touched := map[string]bool{}
	for _, ip := range ips {
		_, err := q.q.ExecContext(ctx, `INSERT INTO usage_ips (key_id, ip, requests, last_seen) VALUES (?, ?, ?, ?)
			ON CONFLICT (key_id, ip) DO UPDATE SET requests = requests + excluded.requests, last_seen = MAX(last_seen, excluded.last_seen)`,
			ip.KeyID, ip.IP, ip.Requests, ip.LastSeen.UnixNano())
		if err != nil {
			return fmt.Errorf("add client address of %s: %w", ip.KeyID, err)
		}
		touched[ip.KeyID] = true
	}
	for id := range touched {
		_, err := q.q.ExecContext(ctx, `DELETE FROM usage_ips WHERE key_id = ? AND ip NOT IN (
			SELECT ip FROM usage_ips WHERE key_id = ? ORDER BY last_seen DESC, ip LIMIT ?)`, id, id, MaxUsageIPs)
		if err != nil {
			return fmt.Errorf("trim client addresses of %s: %w", id, err)
		}
	}
	return nil
}

// RollUpUsage applies the retention at now: minute buckets older than
// MinuteRetention are summed into their hour, hour buckets older than
// HourRetention into their (UTC) day, and day buckets older than
// DayRetention are deleted.
func (q Queries) RollUpUsage(ctx context.Context, now time.Time) error {
	for _, step := range []struct {
		from, to time.Duration
		keep     time.Duration
	}{{Minute, Hour, MinuteRetention}, {Hour, Day, HourRetention}} {
		cutoff := now.Add(-step.keep).Truncate(step.to).UnixNano() // whole target buckets only
		from, to, width := int64(step.from/time.Second), int64(step.to/time.Second), int64(step.to)
		_, err := q.q.ExecContext(ctx, `INSERT INTO usage_buckets (key_id, start, granularity, requests, ok, unauthorized, forbidden, rate_limited)
			SELECT key_id, start - start % ?, ?, SUM(requests), SUM(ok), SUM(unauthorized), SUM(forbidden), SUM(rate_limited)
			FROM usage_buckets WHERE granularity = ? AND start < ? GROUP BY key_id, start - start % ?
			ON CONFLICT (key_id, start, granularity) DO UPDATE SET
			requests = requests + excluded.requests, ok = ok + excluded.ok, unauthorized = unauthorized + excluded.unauthorized,
			forbidden = forbidden + excluded.forbidden, rate_limited = rate_limited + excluded.rate_limited`,
			width, to, from, cutoff, width)
		if err != nil {
			return fmt.Errorf("roll up usage: %w", err)
		}
		_, err = q.q.ExecContext(ctx, `INSERT INTO usage_scopes (key_id, start, granularity, scope, count)
			SELECT key_id, start - start % ?, ?, scope, SUM(count) FROM usage_scopes WHERE granularity = ? AND start < ?
			GROUP BY key_id, start - start % ?, scope
			ON CONFLICT (key_id, start, granularity, scope) DO UPDATE SET count = count + excluded.count`,
			width, to, from, cutoff, width)
		if err != nil {
			return fmt.Errorf("roll up scope usage: %w", err)
		}
		for _, table := range []string{"usage_buckets", "usage_scopes"} {
			if _, err := q.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE granularity = ? AND start < ?`, from, cutoff); err != nil {
				return fmt.Errorf("roll up %s: %w", table, err)
			}
		}
	}
	cutoff := now.Add(-DayRetention).UnixNano()
	for _, table := range []string{"usage_buckets", "usage_scopes"} {
		if _, err := q.q.ExecContext(ctx, `DELETE FROM `+table+` WHERE granularity = ? AND start < ?`, int64(Day/time.Second), cutoff); err != nil {
			return fmt.Errorf("expire %s: %w", table, err)
		}
	}
	_, err := q.q.ExecContext(ctx, `DELETE FROM usage_ips WHERE last_seen < ?`, cutoff)
	if err != nil {
		return fmt.Errorf("expire client addresses: %w", err)
	}
	return nil
}

// UsageSeries returns key id's requests in [since, until) summed into
// buckets of width bucket (aligned to the Unix epoch), oldest first; only
// buckets with requests. Rows already rolled up into a coarser bucket count
// at that bucket's start.
func (q Queries) UsageSeries(ctx context.Context, id string, since, until time.Time, bucket time.Duration) ([]UsagePoint, error) {
	w := int64(bucket)
	return queryAll(ctx, q.q, "usage series", func(row rowScanner) (UsagePoint, error) {
		var p UsagePoint
		var start int64
		err := row.Scan(&start, &p.Counts.Requests, &p.Counts.OK, &p.Counts.Unauthorized, &p.Counts.Forbidden, &p.Counts.RateLimited)
		p.Start = time.Unix(0, start).UTC()
		return p, err
	}, `SELECT start - start % ? AS b, SUM(requests), SUM(ok), SUM(unauthorized), SUM(forbidden), SUM(rate_limited)
		FROM usage_buckets WHERE key_id = ? AND start >= ? AND start < ? GROUP BY b ORDER BY b`,
		w, id, since.UnixNano(), until.UnixNano())
}

// UsageScopes returns how often key id was checked for each scope in
// [since, until).
func (q Queries) UsageScopes(ctx context.Context, id string, since, until time.Time) (map[string]int64, error) {
	type row struct {
		scope string
		n     int64
	}
	rows, err := queryAll(ctx, q.q, "scope usage", func(r rowScanner) (row, error) {
		var v row
		return v, r.Scan(&v.scope, &v.n)
	}, `SELECT scope, SUM(count) FROM usage_scopes WHERE key_id = ? AND start >= ? AND start < ? GROUP BY scope`,
		id, since.UnixNano(), until.UnixNano())
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.scope] = r.n
	}
	return out, nil
}

// UsageIPs returns key id's client addresses last seen at or after since,
// most recent first.
func (q Queries) UsageIPs(ctx context.Context, id string, since time.Time) ([]UsageIP, error) {
	return queryAll(ctx, q.q, "client addresses", func(r rowScanner) (UsageIP, error) {
		v := UsageIP{KeyID: id}
		var last int64
		err := r.Scan(&v.IP, &v.Requests, &last)
		v.LastSeen = time.Unix(0, last).UTC()
		return v, err
	}, `SELECT ip, requests, last_seen FROM usage_ips WHERE key_id = ? AND last_seen >= ? ORDER BY last_seen DESC, ip`,
		id, since.UnixNano())
}

// PeakMinute returns key id's busiest minute bucket in [since, until) (the
// latest of equals); ok is false when it has none.
func (q Queries) PeakMinute(ctx context.Context, id string, since, until time.Time) (UsagePoint, bool, error) {
	var start int64
	var c UsageCounts
	err := q.q.QueryRowContext(ctx, `SELECT start, requests, ok, unauthorized, forbidden, rate_limited FROM usage_buckets
		WHERE key_id = ? AND granularity = ? AND start >= ? AND start < ? ORDER BY requests DESC, start DESC LIMIT 1`,
		id, int64(Minute/time.Second), since.UnixNano(), until.UnixNano()).Scan(&start, &c.Requests, &c.OK, &c.Unauthorized, &c.Forbidden, &c.RateLimited)
	if err == sql.ErrNoRows {
		return UsagePoint{}, false, nil
	}
	if err != nil {
		return UsagePoint{}, false, fmt.Errorf("peak minute of %s: %w", id, err)
	}
	return UsagePoint{Start: time.Unix(0, start).UTC(), Counts: c}, true, nil
}

// UsageRows counts the usage buckets of one granularity (Minute, Hour or
// Day), for tests and the benchmarks.
func (q Queries) UsageRows(ctx context.Context, granularity time.Duration) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM usage_buckets WHERE granularity = ?`, int64(granularity/time.Second)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count usage buckets: %w", err)
	}
	return n, nil
}

// UsageTotals sums key id's requests in [since, until).
func (q Queries) UsageTotals(ctx context.Context, id string, since, until time.Time) (UsageCounts, error) {
	var c UsageCounts
	err := q.q.QueryRowContext(ctx, `SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(ok), 0), COALESCE(SUM(unauthorized), 0),
		COALESCE(SUM(forbidden), 0), COALESCE(SUM(rate_limited), 0) FROM usage_buckets WHERE key_id = ? AND start >= ? AND start < ?`,
		id, since.UnixNano(), until.UnixNano()).Scan(&c.Requests, &c.OK, &c.Unauthorized, &c.Forbidden, &c.RateLimited)
	if err != nil {
		return UsageCounts{}, fmt.Errorf("usage totals of %s: %w", id, err)
	}
	return c, nil
}
