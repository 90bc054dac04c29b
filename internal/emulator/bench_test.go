package emulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkVerify measures GET /v1/auth/verify through the whole handler
// (routing, pipeline, limiter, usage, JSON answer) for a cached key, with
// httptest.NewRecorder (no network). The base clock moves 50 ms per reading
// so the 2000/min budget never runs out.
func BenchmarkVerify(b *testing.B) {
	benchVerify(b, newBenchHarness(b))
}

// newBenchHarness is an emulator whose clock moves 50 ms per reading, so a
// key's 2000/min budget never runs out however long the benchmark runs.
func newBenchHarness(b *testing.B) *harness {
	var ticks atomic.Int64
	start := time.Now()
	return newHarness(b, func(c *Config) {
		c.Now = func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * 50 * time.Millisecond) }
	})
}

// benchVerify measures GET /v1/auth/verify of one cached key through h's
// whole handler.
func benchVerify(b *testing.B, h *harness) {
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 2000})
	handler := h.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8790/v1/auth/verify", nil) // a loopback Host, as the guard requires
	req.Header.Set("Authorization", "Bearer "+k.APIKey)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkUsageRecord measures what recording a request's usage costs
// (docs/api.md "Usage"): one per-key slot, locked for the increments, with
// a scope and a client address, from every core at once over 64 keys.
func BenchmarkUsageRecord(b *testing.B) {
	u := newUsageStats()
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("key_%012d", i)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("203.0.113.7")
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := ids[next.Add(1)%int64(len(ids))]
		for pb.Next() {
			u.record(id, now, http.StatusOK, ip, true, "loyalty:read", nil)
		}
	})
}
