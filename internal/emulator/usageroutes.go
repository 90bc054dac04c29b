package emulator

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/ratelimit"
	"github.com/zupy/zupy-cli/internal/wire"
)

// Bounds of the usage routes' windows (docs/api.md "Usage").
const (
	defaultUsageWindow = 24 * time.Hour
	maxUsageBuckets    = 20_000
)

var bucketWidths = map[string]time.Duration{wire.BucketMinute: store.Minute, wire.BucketHour: store.Hour, wire.BucketDay: store.Day}

// usageWindow is what the usage routes were asked for.
type usageWindow struct {
	since, until time.Time
	bucket       string
	lineage      bool
}

// parseWhen reads a time parameter: RFC 3339, or a duration before now
// such as 90m, 24h or 7d.
func parseWhen(field, v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if d, err := parseAgo(v); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, validation(field, fmt.Sprintf("%q is neither an RFC 3339 time nor a duration like 90m, 24h or 7d", v))
}

// parseAgo reads a positive duration with an optional d (days) unit.
func parseAgo(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 3650 {
			return 0, fmt.Errorf("bad days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad duration")
	}
	return d, nil
}

// parseUsageWindow reads since, until, bucket and lineage; the window ends
// now by default and begins defaultUsageWindow earlier; the bucket defaults
// to minutes up to 6 hours, hours up to 14 days, days beyond.
func parseUsageWindow(q url.Values, now time.Time, withBucket bool) (usageWindow, error) {
	w := usageWindow{until: now}
	var err error
	if v := q.Get("until"); v != "" && withBucket {
		if w.until, err = parseWhen("until", v, now); err != nil {
			return w, err
		}
	}
	w.since = w.until.Add(-defaultUsageWindow)
	if v := q.Get("since"); v != "" {
		if w.since, err = parseWhen("since", v, now); err != nil {
			return w, err
		}
	}
	if !w.since.Before(w.until) {
		return w, validation("since", "must be before until")
	}
	switch v := q.Get("lineage"); v {
	case "", "false":
	case "true":
		w.lineage = true
	default:
		return w, validation("lineage", "must be true or false")
	}
	if !withBucket {
		return w, nil
	}
	switch w.bucket = q.Get("bucket"); w.bucket {
	case "":
		switch span := w.until.Sub(w.since); {
		case span <= 6*time.Hour:
			w.bucket = wire.BucketMinute
		case span <= 14*24*time.Hour:
			w.bucket = wire.BucketHour
		default:
			w.bucket = wire.BucketDay
		}
	case wire.BucketMinute, wire.BucketHour, wire.BucketDay:
	default:
		return w, validation("bucket", "must be minute, hour or day")
	}
	if n := w.until.Sub(w.since) / bucketWidths[w.bucket]; n > maxUsageBuckets {
		return w, validation("bucket", fmt.Sprintf("%s buckets over this window would be %d, more than %d: choose a larger bucket or a shorter window", w.bucket, n, maxUsageBuckets))
	}
	return w, nil
}

func wireCounts(c store.UsageCounts) wire.UsageCounts {
	return wire.UsageCounts{Requests: c.Requests, OK: c.OK, Unauthorized: c.Unauthorized, Forbidden: c.Forbidden, RateLimited: c.RateLimited}
}

// series reads key id's buckets in the window and fills the empty ones, so
// that every bucket from since (rounded down) to until is present.
func (s *Server) series(ctx context.Context, id string, w usageWindow) ([]wire.UsagePoint, wire.UsageCounts, error) {
	width := bucketWidths[w.bucket]
	from := w.since.Truncate(width)
	pts, err := s.store.UsageSeries(ctx, id, from, w.until, width)
	if err != nil {
		return nil, wire.UsageCounts{}, err
	}
	out := make([]wire.UsagePoint, 0, int(w.until.Sub(from)/width)+1)
	var total store.UsageCounts
	i := 0
	for t := from; t.Before(w.until); t = t.Add(width) {
		p := wire.UsagePoint{Start: t}
		if i < len(pts) && pts[i].Start.Equal(t) {
			p.UsageCounts = wireCounts(pts[i].Counts)
			total.Add(pts[i].Counts)
			i++
		}
		out = append(out, p)
	}
	return out, wireCounts(total), nil
}

// summary reads what every usage answer says of key id besides its series.
func (s *Server) usageDetails(ctx context.Context, id string, since, until time.Time) (map[string]int64, []wire.UsageIP, *wire.UsagePoint, error) {
	scopes, err := s.store.UsageScopes(ctx, id, since, until)
	if err != nil {
		return nil, nil, nil, err
	}
	rows, err := s.store.UsageIPs(ctx, id, since)
	if err != nil {
		return nil, nil, nil, err
	}
	ips := make([]wire.UsageIP, len(rows))
	for i, r := range rows {
		ips[i] = wire.UsageIP{IP: r.IP, Requests: r.Requests, LastSeen: stamp(r.LastSeen)}
	}
	var peak *wire.UsagePoint
	if p, ok, err := s.store.PeakMinute(ctx, id, since.Truncate(time.Minute), until); err != nil {
		return nil, nil, nil, err
	} else if ok {
		peak = &wire.UsagePoint{Start: p.Start, UsageCounts: wireCounts(p.Counts)}
	}
	return scopes, ips, peak, nil
}

// keyUsage is the usage answer of key k (of partner partnerID) over w.
func (s *Server) keyUsage(ctx context.Context, k store.Key, w usageWindow) (wire.KeyUsage, error) {
	// What is still in memory goes to the database first, so the answer
	// includes the last second.
	if err := s.flushUsage(ctx); err != nil {
		return wire.KeyUsage{}, err
	}
	out := wire.KeyUsage{KeyID: k.ID, Bucket: w.bucket, Since: w.since, Until: w.until, RateLimit: k.RateLimit,
		Permissions: nonNil(k.Permissions)}
	var err error
	if out.Series, out.Totals, err = s.series(ctx, k.ID, w); err != nil {
		return out, err
	}
	if out.Scopes, out.IPs, out.PeakMinute, err = s.usageDetails(ctx, k.ID, w.since, w.until); err != nil {
		return out, err
	}
	if w.lineage {
		keys, err := s.store.KeysOfLineage(ctx, k.PartnerID, k.LineageID)
		if err != nil {
			return out, err
		}
		now := s.clock.Now()
		out.Lineage = []wire.LineageUsage{}
		for _, o := range keys {
			if o.ID == k.ID {
				continue
			}
			l := wire.LineageUsage{KeyID: o.ID, Status: keyStatus(o, now), RotatedFrom: optString(o.RotatedFrom), RotatedTo: optString(o.RotatedTo)}
			if l.Series, l.Totals, err = s.series(ctx, o.ID, w); err != nil {
				return out, err
			}
			out.Lineage = append(out.Lineage, l)
		}
	}
	return out, nil
}

// handleKeyUsage is GET /api-keys/{key_id}/usage (session).
func (s *Server) handleKeyUsage(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	k, err := ownedKey(ctx, s.store, p.partner.ID, r.PathValue("key_id"))
	if err != nil {
		return err
	}
	q, err := parseQuery(r, "since", "until", "bucket", "lineage")
	if err != nil {
		return err
	}
	win, err := parseUsageWindow(q, s.clock.Now(), true)
	if err != nil {
		return err
	}
	out, err := s.keyUsage(ctx, k, win)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleSelfUsage is GET /api-keys/self/usage: a key holding keys:rotate
// reads its own usage (and with lineage=true its lineage's), the CI path
// of a rotation.
func (s *Server) handleSelfUsage(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	ctx := r.Context()
	q, err := parseQuery(r, "since", "until", "bucket", "lineage", "permission")
	if err != nil {
		return err
	}
	win, err := parseUsageWindow(q, s.clock.Now(), true)
	if err != nil {
		return err
	}
	row, err := s.store.KeyByID(ctx, k.ID)
	if err != nil {
		return err
	}
	out, err := s.keyUsage(ctx, row, win)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleUsageSummary is GET /api-keys/usage?since=&limit=&cursor=: one
// summary row per key (every status), paged like the key list.
func (s *Server) handleUsageSummary(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	q, err := parseQuery(r, "since", "limit", "cursor")
	if err != nil {
		return err
	}
	now := s.clock.Now()
	win, err := parseUsageWindow(q, now, false)
	if err != nil {
		return err
	}
	limit, cur, err := pageParams(q, now)
	if err != nil {
		return err
	}
	if err := s.flushUsage(ctx); err != nil {
		return err
	}
	keys, last, more, err := s.store.KeysPage(ctx, p.partner.ID, store.KeyFilter{At: cur.at}, cur.after, limit)
	if err != nil {
		return err
	}
	out := wire.UsageSummaryList{Since: win.since, Until: win.until, Data: make([]wire.UsageSummary, 0, len(keys)), NextCursor: nextCursor(cur, last, more)}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	// The whole page in four queries (a thousand keys: not four thousand),
	// read as usageDetails reads one key.
	sums, err := s.store.UsageSummaries(ctx, ids, win.since, win.until, win.since.Truncate(time.Minute))
	if err != nil {
		return err
	}
	for _, k := range keys {
		sum := sums[k.ID]
		row := wire.UsageSummary{KeyID: k.ID, Totals: wireCounts(sum.Totals), Scopes: sum.Scopes, IPs: make([]wire.UsageIP, len(sum.IPs))}
		for i, r := range sum.IPs {
			row.IPs[i] = wire.UsageIP{IP: r.IP, Requests: r.Requests, LastSeen: stamp(r.LastSeen)}
		}
		if p := sum.Peak; p != nil {
			row.PeakMinute = &wire.UsagePoint{Start: p.Start, UsageCounts: wireCounts(p.Counts)}
		}
		if len(row.IPs) > 0 {
			t := row.IPs[0].LastSeen
			row.LastRequestAt = &t
		}
		out.Data = append(out.Data, row)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
