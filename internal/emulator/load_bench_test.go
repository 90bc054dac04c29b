package emulator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// The load of BenchmarkVerifyLoad: loadClients concurrent keep-alive
// clients, after loadWarmup requests each that open their connections, load
// each target for loadRounds rounds of loadRoundTime, the targets taking
// turns so that a disturbance of the machine (another process, a GC) falls
// on both rather than on one. A client takes turns between its
// loadKeysPerClient keys and stops a round early after loadPerKey requests
// per key, so no key exceeds its budget.
const (
	loadClients       = 32
	loadRounds        = 6
	loadRoundTime     = 350 * time.Millisecond
	loadKeysPerClient = 2
	loadPerKey        = 1900 // under the maximum budget of 2000/min: no request is refused
	loadWarmup        = 20
	loadTimeout       = 5 * time.Second // per request, so a stuck server cannot hang the run
)

// BenchmarkVerifyLoad compares GET /v1/auth/verify on the real emulator
// (SQLite in a temp dir, served on loopback, logging each request at Info
// through a text handler like `zupy emulator start`, to io.Discard) with a
// bare net/http handler that writes the same body and headers, both under the
// same load of 32 keep-alive clients in the same process, measured in the
// same run. It reports bare_rps, verify_rps, rps_ratio (verify/bare; the
// target is ≥ 0.5) and the latency percentiles p50_ms and p99_ms of verify
// (the target is p99 < 5 ms) and bare_p99_ms, and prints a one-line summary.
//
// It is a load test, not a micro-benchmark: each invocation measures once,
// whatever b.N is, and ns/op is suppressed. Run it with -benchtime=1x, as
// `make bench` does; with the default benchtime one invocation already
// outlasts the benchtime, so it runs once too.
//
// The rate limit: every client has its own two keys, each with the maximum
// budget of 2000 requests per minute, and before every verify round the
// emulator's clock is moved two windows ahead, so each key starts the round
// with its whole budget and sends at most 1900 requests in it. Every request
// is therefore a 200 that went through the whole pipeline (stages 1–6, the
// limiter admitting it), as production traffic within its budget; a non-200
// fails the run rather than being measured as a cheap 429.
func BenchmarkVerifyLoad(b *testing.B) {
	// The bare handler answers with the body and headers of a real verify
	// answer (captured below), so both write the same bytes.
	var bareHeader http.Header
	var bareBody []byte
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range bareHeader {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(bareBody)
	}))
	defer bare.Close()

	h := newHarness(b, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	sess := h.login()
	// keys[i] are client i's keys: 64 creations, within the session's
	// budget of 120 requests per minute.
	keys := make([][]string, loadClients)
	for i := range keys {
		for j := range loadKeysPerClient {
			body := map[string]any{"name": fmt.Sprintf("load %d.%d", i, j), "rate_limit": 2000}
			keys[i] = append(keys[i], h.createKey(sess, body).APIKey)
		}
	}

	sample := h.request("GET", "/v1/auth/verify", keys[0][0], nil)
	if sample.status != http.StatusOK {
		b.Fatalf("verify: %d %s", sample.status, sample.body)
	}
	bareHeader, bareBody = sample.header.Clone(), sample.body
	bareHeader.Del("Date") // net/http adds its own, as for the emulator
	bareHeader.Del("Content-Length")

	client := &http.Client{
		Timeout: loadTimeout,
		Transport: &http.Transport{
			MaxIdleConns:        4 * loadClients,
			MaxIdleConnsPerHost: loadClients,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()

	const path = "/v1/auth/verify"
	bareT := &loadTarget{url: bare.URL + path}
	verifyT := &loadTarget{url: h.ts.URL + path, before: func() { h.advance(120) }}
	targets := []*loadTarget{bareT, verifyT}

	b.ResetTimer()
	for _, t := range targets {
		if err := t.run(client, keys, loadWarmup, loadTimeout, false); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}
	for range loadRounds {
		for _, t := range targets {
			if t.before != nil {
				t.before()
			}
			if err := t.run(client, keys, loadPerKey*loadKeysPerClient, loadRoundTime, true); err != nil {
				b.Fatalf("load: %v", err)
			}
		}
	}
	b.StopTimer()

	bareRPS, verifyRPS := bareT.rps(), verifyT.rps()
	p50, p99, bareP99 := verifyT.percentile(50), verifyT.percentile(99), bareT.percentile(99)
	ratio := verifyRPS / bareRPS
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(bareRPS, "bare_rps")
	b.ReportMetric(verifyRPS, "verify_rps")
	b.ReportMetric(ratio, "rps_ratio")
	b.ReportMetric(ms(p50), "p50_ms")
	b.ReportMetric(ms(p99), "p99_ms")
	b.ReportMetric(ms(bareP99), "bare_p99_ms")
	fmt.Printf("verify: %.0f req/s (%.2f× bare %.0f req/s), p50 %.2f ms, p99 %.2f ms (bare %.2f ms) at %d clients\n",
		verifyRPS, ratio, bareRPS, ms(p50), ms(p99), ms(bareP99), loadClients)
}

// loadTarget is one server under load and what its measured rounds saw.
type loadTarget struct {
	url     string
	before  func() // run before each measured round; nil for none
	lat     []time.Duration
	elapsed time.Duration
}

// run lets every client i send GET t.url with its keys[i] in turn until it
// has sent perClient requests or d has passed. When measured, it adds each
// latency and the round's wall time to t.
func (t *loadTarget) run(client *http.Client, keys [][]string, perClient int, d time.Duration, measured bool) error {
	lat := make([][]time.Duration, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i, own := range keys {
		if measured {
			lat[i] = make([]time.Duration, 0, 1024)
		}
		wg.Go(func() {
			for n := 0; n < perClient && time.Now().Before(deadline); n++ {
				took, err := t.send(client, own[n%len(own)])
				if err != nil {
					errs[i] = fmt.Errorf("%s, client %d, request %d: %w", t.url, i, n, err)
					return
				}
				if measured {
					lat[i] = append(lat[i], took)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if measured {
		t.elapsed += elapsed
		for _, l := range lat {
			t.lat = append(t.lat, l...)
		}
	}
	return nil
}

// send makes one request and reads the whole answer (so the connection is
// reused); only a 200 counts.
func (t *loadTarget) send(client *http.Client, key string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, t.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", res.StatusCode)
	}
	return took, nil
}

func (t *loadTarget) rps() float64 { return float64(len(t.lat)) / t.elapsed.Seconds() }

// percentile is the nearest-rank p-th percentile of the latencies (0 when
// there are none).
func (t *loadTarget) percentile(p int) time.Duration {
	if len(t.lat) == 0 {
		return 0
	}
	slices.Sort(t.lat)
	i := (len(t.lat)*p + 99) / 100 // ceil(n·p/100), 1-based
	return t.lat[max(i, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
