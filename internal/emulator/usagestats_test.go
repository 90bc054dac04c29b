package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// fakeNow is a settable base clock for Config.Now.
type fakeNow struct{ ns atomic.Int64 }

func newFakeNow(t time.Time) *fakeNow {
	f := &fakeNow{}
	f.ns.Store(t.UnixNano())
	return f
}
func (f *fakeNow) now() time.Time          { return time.Unix(0, f.ns.Load()).UTC() }
func (f *fakeNow) add(d time.Duration)     { f.ns.Add(int64(d)) }
func (f *fakeNow) config() func(c *Config) { return func(c *Config) { c.Now = f.now } }

func sumSeries(t *testing.T, st *store.Store, id string, since, until time.Time) store.UsageCounts {
	t.Helper()
	pts, err := st.UsageSeries(context.Background(), id, since, until, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var c store.UsageCounts
	for _, p := range pts {
		c.Add(p.Counts)
	}
	return c
}

func TestUsageStatsCountConcurrentIncrementsExactly(t *testing.T) {
	u := newUsageStats()
	at := time.Date(2026, 5, 1, 12, 0, 30, 0, time.UTC)
	statuses := []int{200, 401, 403, 429, 400}
	var wg sync.WaitGroup
	var taken []usageBatch
	var mu sync.Mutex
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				ip := netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 3)})
				u.record([]string{"key_a", "key_b"}[g%2], at, statuses[i%5], ip, true, "loyalty:read", []string{"customer:read, nope"})
				if g == 0 && i%100 == 0 { // flushes run while requests are counted
					b := u.take()
					mu.Lock()
					taken = append(taken, b)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	taken = append(taken, u.take())
	counts := map[string]store.UsageCounts{}
	scopes := map[string]int64{}
	ips := map[string]int64{}
	for _, b := range taken {
		for _, m := range b.minutes {
			c := counts[m.KeyID]
			c.Add(m.Counts)
			counts[m.KeyID] = c
			for s, n := range m.Scopes {
				scopes[s] += n
			}
		}
		for _, ip := range b.ips {
			ips[ip.IP] += ip.Requests
		}
	}
	want := store.UsageCounts{Requests: 4000, OK: 800, Unauthorized: 800, Forbidden: 800, RateLimited: 800}
	for _, id := range []string{"key_a", "key_b"} {
		if counts[id] != want {
			t.Errorf("%s: %+v, want %+v", id, counts[id], want)
		}
	}
	if scopes["loyalty:read"] != 8000 || scopes["customer:read"] != 8000 || len(scopes) != 2 {
		t.Errorf("scopes %v, want loyalty:read and customer:read 8000 each, no unknown one", scopes)
	}
	if ips["10.0.0.0"]+ips["10.0.0.1"]+ips["10.0.0.2"] != 8000 {
		t.Errorf("ips %v", ips)
	}
	if u.any() {
		t.Error("slots left after the last take")
	}
}

// Requests are counted in the minute of the emulator's clock (moved by
// /_emulator/clock), and every identified key counts, a 401 of a revoked
// key included; an unknown key and the /api-keys/self/* calls do not.
func TestUsageIsRecordedPerIdentifiedKeyAndMinute(t *testing.T) {
	clk := newFakeNow(time.Date(2026, 5, 1, 12, 0, 58, 0, time.UTC))
	h := newHarness(t, clk.config(), trustLoopback)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"loyalty:read", "keys:rotate"}, "rate_limit": 3})
	start := h.srv.clock.Now().Truncate(time.Minute)
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil, from("203.0.113.1")...), 200)
	expect(t, h.request("GET", "/v1/auth/verify?permission=customer:read", k.APIKey, nil, from("203.0.113.2")...), 403)
	h.advance(2) // the next minute of the emulator's clock
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, from("203.0.113.2")...), 200)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil, from("203.0.113.2")...), 429)
	expect(t, h.request("GET", "/v1/auth/verify", "zup_live_sk_"+"unknownunknownunknown1", nil), 401)
	expect(t, h.request("POST", "/v1/api-keys/self/rotate", k.APIKey, map[string]any{"grace_period_seconds": 0}), 429)
	expect(t, h.request("DELETE", "/v1/api-keys/"+k.KeyID, sess, nil), 200)
	expect(t, h.request("GET", "/v1/loyalty/program", k.APIKey, nil, from("203.0.113.3")...), 401)
	if err := h.srv.flushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	pts, err := h.srv.store.UsageSeries(ctx, k.KeyID, start, start.Add(time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UsagePoint{
		{Start: start, Counts: store.UsageCounts{Requests: 2, OK: 1, Forbidden: 1}},
		{Start: start.Add(time.Minute), Counts: store.UsageCounts{Requests: 3, OK: 1, RateLimited: 1, Unauthorized: 1}},
	}
	if len(pts) != 2 || pts[0] != want[0] || pts[1] != want[1] {
		t.Fatalf("series %+v, want %+v", pts, want)
	}
	sc, err := h.srv.store.UsageScopes(ctx, k.KeyID, start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) != 2 || sc["loyalty:read"] != 1 || sc["customer:read"] != 1 {
		t.Errorf("scopes %v, want loyalty:read 1 and customer:read 1", sc)
	}
	ips, err := h.srv.store.UsageIPs(ctx, k.KeyID, start)
	if err != nil {
		t.Fatal(err)
	}
	byIP := map[string]int64{}
	for _, ip := range ips {
		byIP[ip.IP] = ip.Requests
	}
	if len(ips) != 3 || byIP["203.0.113.1"] != 1 || byIP["203.0.113.2"] != 3 || byIP["203.0.113.3"] != 1 || ips[2].IP != "203.0.113.1" {
		t.Errorf("ips %+v, want .2 3 times, .1 and .3 once, .1 seen last", ips)
	}
}

// The retention holds over simulated years of the emulator's clock: minute
// buckets roll up into hours after 48 h, hours into days after 90 days, days
// go after two years, so the rows of a key stay bounded and the requests of
// the last two years are all still counted.
func TestUsageRetentionKeepsRowsBoundedOverYears(t *testing.T) {
	clk := newFakeNow(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newHarness(t, clk.config())
	ctx := t.Context()
	const step = 6 * time.Hour
	const days = 800
	type rec struct {
		at time.Time
		n  int64
	}
	var recs []rec
	var rowsAt740 int
	for i := range days * int(24*time.Hour/step) {
		now := h.srv.clock.Now()
		for j := range 3 {
			h.srv.stats.record("key_year", now.Add(time.Duration(j)*time.Minute), 200, netip.Addr{}, true, "loyalty:read", nil)
		}
		recs = append(recs, rec{now, 3})
		if err := h.srv.flushUsage(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := h.srv.store.Rows(ctx, "usage_buckets")
		if err != nil {
			t.Fatal(err)
		}
		if bound := int(48*60 + 90*24 + 731); rows > bound {
			t.Fatalf("step %d: %d rows, more than the bound %d", i, rows, bound)
		}
		if i == 740*4 {
			rowsAt740 = rows
		}
		clk.add(step)
	}
	now := h.srv.clock.Now()
	rows, _ := h.srv.store.Rows(ctx, "usage_buckets")
	if rows > rowsAt740+2 {
		t.Errorf("rows grew from %d (day 740) to %d (day 800): the retention does not bound them", rowsAt740, rows)
	}
	scopeRows, _ := h.srv.store.Rows(ctx, "usage_scopes")
	if scopeRows > rows {
		t.Errorf("%d scope rows for %d buckets", scopeRows, rows)
	}
	var kept, recent int64
	for _, r := range recs {
		if !r.at.Before(now.Add(-store.DayRetention + 24*time.Hour)) {
			recent += r.n
		}
	}
	kept = sumSeries(t, h.srv.store, "key_year", now.Add(-3*store.DayRetention), now.Add(time.Hour)).Requests
	if kept < recent || kept > int64(len(recs))*3 {
		t.Errorf("%d requests kept, want at least the %d of the last two years", kept, recent)
	}
	var grans = map[int64]int{}
	for _, g := range []int64{60, 3600, 86400} {
		n, err := h.srv.store.UsageRows(ctx, time.Duration(g)*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		grans[g] = n
	}
	if grans[60] == 0 || grans[60] > 3*(48/6+1) || grans[3600] == 0 || grans[86400] == 0 || grans[86400] > 731 {
		t.Errorf("rows by granularity %v", grans)
	}
	t.Logf("%d days in %s steps: %d bucket rows (minute %d, hour %d, day %d), %d scope rows", days, step, rows, grans[60], grans[3600], grans[86400], scopeRows)
}

// TestUsageStatsSurviveSIGKILLButTheLastSecond kills the emulator process
// with SIGKILL: requests answered more than a flush interval before the
// kill are all counted after a restart, and nothing is counted twice.
func TestUsageStatsSurviveSIGKILLButTheLastSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	client := &http.Client{Timeout: 10 * time.Second}
	cmd, base := startChild(t, dir, io.Discard)
	session := loginOver(t, client, base)
	status, body, err := call(client, "POST", base+"/v1/api-keys", session, map[string]any{"name": "kill", "permissions": []string{"loyalty:read"}, "rate_limit": 2000})
	if err != nil || status != 201 {
		t.Fatalf("create: %d %s %v", status, body, err)
	}
	var k struct {
		KeyID  string `json:"key_id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(body, &k); err != nil {
		t.Fatal(err)
	}
	send := func(n int) {
		for range n {
			if status, body, err := call(client, "GET", base+"/v1/loyalty/program", k.APIKey, nil); err != nil || status != 200 {
				t.Fatalf("program: %d %s %v", status, body, err)
			}
		}
	}
	send(150)
	time.Sleep(usageFlushInterval + 500*time.Millisecond)
	send(50) // these may be lost: the kill comes within a flush interval
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	st, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := sumSeries(t, st, k.KeyID, time.Unix(0, 0), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
	if got.Requests < 150 || got.Requests > 200 || got.OK != got.Requests {
		t.Fatalf("after SIGKILL %+v counted; want 150 to 200 requests, all 2xx", got)
	}
	t.Logf("SIGKILL after 200 requests: %d counted (%d lost from the last second)", got.Requests, 200-got.Requests)
}
