package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	zemulator "github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/emulator/store"
)

var (
	procWorkers   = flag.Int("proc-workers", 32, "concurrent keep-alive clients of the process-level verify load")
	procRounds    = flag.Int("proc-rounds", 24, "interleaved measured rounds of each process-level target")
	procRoundTime = flag.Duration("proc-round", 250*time.Millisecond, "length of one process-level round")
	skipProcess   = flag.Bool("skip-process", false, "skip the process-level verify load (zupy emulator start against a bare server binary)")
	alsoZupy      = flag.String("also-zupy", "", "another zupy `BINARY` (an earlier build) to load with recording on beside this tree's, for a before/after in the same run")
	skipScale     = flag.Bool("skip-scale", false, "skip the scale measurement (keys list --all over 10,000 keys, keys usage --since 30d)")
)

// Per key and round: under the maximum budget of 2000 requests a minute, so
// every answer is a 200 through the whole pipeline (the emulator's clock is
// moved two windows ahead before each of its rounds).
const (
	procKeysPerWorker = 2
	procPerKey        = 1900
	procTimeout       = 5 * time.Second // per request: a stuck server cannot hang the run
)

// bareSource is the bare server: net/http answering every request with the
// status, headers and body of a real verify answer read from a file, its
// base URL written to a file once it listens, stopping on SIGTERM.
const bareSource = `package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var resp struct {
		Header http.Header
		Body   []byte
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(resp.Body)
	})}
	if err := os.WriteFile(os.Args[2], []byte("http://"+ln.Addr().String()+"\n"), 0o600); err != nil {
		panic(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		panic(err)
	}
}
`

// proc is a server process under measurement.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT, no path
	// before runs before each measured round (nil: nothing).
	before func() error
	lat    []time.Duration
	n      int
	wall   time.Duration
	// Per measured round: req/s and p99.
	roundRPS []float64
	roundP99 []time.Duration
}

// startProc starts argv, waits for it to write its base URL to urlFile and
// returns it; stderr goes to logPath.
func startProc(name, urlFile, logPath string, argv ...string) *proc {
	log, err := os.Create(logPath)
	must(err)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, log
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	must(cmd.Start())
	log.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(urlFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			base := strings.TrimSuffix(strings.TrimSpace(string(b)), "/v1")
			return &proc{name: name, cmd: cmd, base: base}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	fatalf("%s did not start in 30 s (log: %s)", name, logPath)
	return nil
}

// stop ends the process with SIGTERM (a clean stop), killing it after 15 s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "zupy-bench: %s exited: %v\n", p.name, err)
		}
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		fmt.Fprintf(os.Stderr, "zupy-bench: %s did not stop on SIGTERM in 15 s: killed\n", p.name)
	}
}

// seedKeys opens dir as the emulator would (seeding the demo partner),
// then adds n keys of the maximum rate limit straight through the store and
// a session (then extra, if not nil, with the keys' ids, oldest first); it
// returns the keys' secrets and the session token.
func seedKeys(dir string, n int, extra func(ctx context.Context, tx *store.Tx, ids []string, now time.Time) error) (secrets []string, session string) {
	ctx := context.Background()
	srv, err := zemulator.Open(ctx, zemulator.Config{DataDir: dir, NoUI: true})
	must(err)
	must(srv.Close())
	st, err := store.Open(ctx, store.Options{Dir: dir})
	must(err)
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Second)
	session, err = apikey.GenerateSessionToken()
	must(err)
	must(st.Update(ctx, func(tx *store.Tx) error {
		partner, err := tx.FirstPartner(ctx)
		if err != nil {
			return err
		}
		var ids []string
		for i := range n {
			secret, err := apikey.Generate(apikey.Production)
			if err != nil {
				return err
			}
			id, err := apikey.GenerateID()
			if err != nil {
				return err
			}
			k := store.Key{ID: id, SecretHash: st.Hash(secret), PartnerID: partner.ID, LineageID: "lin_" + strings.TrimPrefix(id, "key_"),
				Name: fmt.Sprintf("bench %d", i), Permissions: []string{"loyalty:read"}, RateLimit: 2000, Environment: "production",
				IPRestrictions: []string{}, KeyHint: apikey.Mask(secret),
				CreatedAt: now.Add(-time.Duration(n-i) * time.Second), ExpiresAt: now.Add(2 * 365 * 24 * time.Hour)}
			if err := tx.InsertKey(ctx, k); err != nil {
				return err
			}
			secrets = append(secrets, secret)
			ids = append(ids, id)
		}
		sid, err := apikey.GenerateID()
		if err != nil {
			return err
		}
		if err := tx.InsertSession(ctx, store.Session{ID: "ses_" + strings.TrimPrefix(sid, "key_"), TokenHash: st.Hash(session),
			PartnerID: partner.ID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}); err != nil {
			return err
		}
		if extra != nil {
			return extra(ctx, tx, ids, now)
		}
		return nil
	}))
	return secrets, session
}

// advanceClock moves an emulator's clock forward by sec seconds.
func advanceClock(client *http.Client, base string, sec int) error {
	resp, err := client.Post(base+"/_emulator/clock", "application/json", strings.NewReader(fmt.Sprintf(`{"advance_seconds":%d}`, sec)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /_emulator/clock: %s", resp.Status)
	}
	return nil
}

// round lets every worker i send GET /v1/auth/verify to p with its keys in
// turn until d has passed or it has sent procPerKey requests per key. Every
// answer must be a 200. When measured, the latencies and wall time are added
// to p.
func (p *proc) round(client *http.Client, keys [][]string, d time.Duration, measured bool) error {
	url := p.base + "/v1/auth/verify"
	lat := make([][]time.Duration, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for i := range keys {
		wg.Go(func() {
			l := make([]time.Duration, 0, 4096)
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			for n := 0; n < procPerKey*len(keys[i]) && time.Now().Before(end); n++ {
				req.Header.Set("Authorization", "Bearer "+keys[i][n%len(keys[i])])
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				l = append(l, time.Since(t0))
				if err != nil {
					errs[i] = err
					return
				}
				if resp.StatusCode != http.StatusOK {
					errs[i] = fmt.Errorf("%s answered %s", p.name, resp.Status)
					return
				}
			}
			lat[i] = l
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if measured {
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		p.lat = append(p.lat, all...)
		p.n += len(all)
		p.wall += wall
		p.roundRPS = append(p.roundRPS, float64(len(all))/wall.Seconds())
		p.roundP99 = append(p.roundP99, percentile(all, 99))
	}
	return nil
}

func (p *proc) rps() float64 { return float64(p.n) / p.wall.Seconds() }

func (p *proc) p99() time.Duration { return percentile(p.lat, 99) }
func (p *proc) p50() time.Duration { return percentile(p.lat, 50) }

func percentile(lat []time.Duration, pc int) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*pc/100)]
}

// ratios are the medians, over the interleaved cycles, of p's req/s and
// p99 against the baseline's in the same cycle: a burst of other work on
// the machine moves one cycle, not the result.
func (p *proc) ratios(base *proc) (rps, p99 float64) {
	var r, l []float64
	for i := range p.roundRPS {
		r = append(r, p.roundRPS[i]/base.roundRPS[i])
		l = append(l, float64(p.roundP99[i])/float64(base.roundP99[i]))
	}
	return medianF(r), medianF(l)
}

// spread is the lowest and highest of p's per-cycle req/s ratios.
func (p *proc) spread(base *proc) (lo, hi float64) {
	lo, hi = 1e9, 0
	for i := range p.roundRPS {
		x := p.roundRPS[i] / base.roundRPS[i]
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// processLoad measures GET /v1/auth/verify on the real `zupy emulator
// start` (usage recording on, the default, and off with the hidden
// --no-usage) against a bare net/http server binary answering the same
// bytes, each its own process, under one load generator (this process),
// rounds interleaved.
func processLoad(r *report, work, zupy string) {
	// The bare server, built like zupy.
	src := filepath.Join(work, "baresrc")
	must(os.MkdirAll(src, 0o755))
	must(os.WriteFile(filepath.Join(src, "go.mod"), []byte("module bare\n\ngo 1.26\n"), 0o644))
	must(os.WriteFile(filepath.Join(src, "main.go"), []byte(bareSource), 0o644))
	bareBin := filepath.Join(work, "bare")
	cmd := exec.Command(goCommand, "build", "-trimpath", "-ldflags", "-s -w", "-o", bareBin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fatalf("go build the bare server: %v", err)
	}

	workers := *procWorkers
	nKeys := workers * procKeysPerWorker
	startZupy := func(name string, extra ...string) (*proc, []string) {
		dir := filepath.Join(work, name+"-data")
		secrets, _ := seedKeys(dir, nKeys, nil)
		urlFile := filepath.Join(work, name+".url")
		argv := append([]string{zupy, "emulator", "start", "--data-dir", dir, "--addr", "127.0.0.1:0", "--url-file", urlFile, "--no-ui"}, extra...)
		return startProc(name, urlFile, filepath.Join(work, name+".log"), argv...), secrets
	}
	on, secretsOn := startZupy("zupy")
	defer on.stop()
	off, secretsOff := startZupy("zupy-no-usage", "--no-usage")
	defer off.stop()

	client := &http.Client{Timeout: procTimeout, Transport: &http.Transport{
		MaxIdleConns: 4 * workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()

	// One real answer of the emulator, for the bare server to repeat.
	req, _ := http.NewRequest(http.MethodGet, on.base+"/v1/auth/verify", nil)
	req.Header.Set("Authorization", "Bearer "+secretsOn[0])
	resp, err := client.Do(req)
	must(err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(err)
	if resp.StatusCode != http.StatusOK {
		fatalf("verify on the emulator: %s %s", resp.Status, body)
	}
	header := resp.Header.Clone()
	header.Del("Date") // net/http adds its own, as for the emulator
	header.Del("Content-Length")
	spec, _ := json.Marshal(map[string]any{"Header": header, "Body": body})
	specFile := filepath.Join(work, "bare.json")
	must(os.WriteFile(specFile, spec, 0o600))
	bareURL := filepath.Join(work, "bare.url")
	bare := startProc("bare net/http", bareURL, filepath.Join(work, "bare.log"), bareBin, specFile, bareURL)
	defer bare.stop()

	keysOf := func(secrets []string) [][]string {
		k := make([][]string, workers)
		for i := range k {
			k[i] = secrets[i*procKeysPerWorker : (i+1)*procKeysPerWorker]
		}
		return k
	}
	keys := map[*proc][][]string{bare: keysOf(secretsOn), on: keysOf(secretsOn), off: keysOf(secretsOff)}
	on.before = func() error { return advanceClock(client, on.base, 120) }
	off.before = func() error { return advanceClock(client, off.base, 120) }
	targets := []*proc{bare, on, off}
	if *alsoZupy != "" {
		name := filepath.Base(*alsoZupy)
		dir := filepath.Join(work, "also-data")
		secrets, _ := seedKeys(dir, nKeys, nil)
		urlFile := filepath.Join(work, "also.url")
		also := startProc(name, urlFile, filepath.Join(work, "also.log"),
			*alsoZupy, "emulator", "start", "--data-dir", dir, "--addr", "127.0.0.1:0", "--url-file", urlFile, "--no-ui")
		defer also.stop()
		also.before = func() error { return advanceClock(client, also.base, 120) }
		keys[also] = keysOf(secrets)
		targets = append(targets, also)
	}

	loadStart := loadavg()
	for _, p := range targets { // warm-up: opens the connections
		if p.before != nil {
			must(p.before())
		}
		if err := p.round(client, keys[p], 300*time.Millisecond, false); err != nil {
			fatalf("warm-up: %v", err)
		}
	}
	for i := range *procRounds {
		for j := range targets {
			p := targets[(i+j)%len(targets)] // rotate: no target always runs first
			if p.before != nil {
				must(p.before())
			}
			if err := p.round(client, keys[p], *procRoundTime, true); err != nil {
				fatalf("load: %v", err)
			}
		}
	}
	loadEnd := loadavg()

	rpsOn, p99On := on.ratios(bare)
	rpsOff, p99Off := off.ratios(bare)
	v1 := r.goal("process verify req/s", rpsOn >= goalRPS, "req/s %.3f× bare (goal ≥ %.2f×)", rpsOn, goalRPS)
	v2 := r.goal("process verify p99", p99On <= goalP99, "p99 %.3f× bare (goal ≤ %.2f×)", p99On, goalP99)
	r.printf("process level, GET /v1/auth/verify, `zupy emulator start` against a bare net/http binary, %d keep-alive clients, %d × %s rounds each, interleaved (load %s → %s):\n",
		workers, *procRounds, *procRoundTime, loadStart, loadEnd)
	for _, p := range targets {
		rr, pr := p.ratios(bare)
		r.printf("  %-22s %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d requests); median of cycles: req/s %.3f×, p99 %.3f×\n",
			p.name, p.rps(), ms(p.p50()), ms(p.p99()), p.n, rr, pr)
	}
	r.printf("  recording on:  %s; %s\n", v1, v2)
	r.printf("  recording off: req/s %.3f× bare, p99 %.3f× bare (no goal: the cost of recording)\n", rpsOff, p99Off)

	r.mdf("\n## Process level: `zupy emulator start` against a bare net/http binary\n\n")
	r.mdf("GET /v1/auth/verify on the real binary (`zupy emulator start --data-dir … --no-ui`, SQLite on disk, its\n")
	r.mdf("request log on stderr, redirected to a file) against a bare `net/http` binary built in the same run that\n")
	r.mdf("answers every request with the status, headers and body of a real verify answer. Both are separate\n")
	r.mdf("processes on loopback under one load generator (this program: %d keep-alive clients, each with its\n", workers)
	r.mdf("own %d keys of the maximum budget, every answer a 200 through the whole pipeline), after a %s warm-up,\n", procKeysPerWorker, 300*time.Millisecond)
	r.mdf("%d measured rounds of %s per target, interleaved in rotated order. The emulator runs twice: with\n", *procRounds, *procRoundTime)
	r.mdf("usage recording on (the default) and with the hidden `--no-usage` (benchmarks only), which skips the\n")
	r.mdf("per-key statistics (usage_count and last_used_at still count). Load average %s at the start, %s at\n", loadStart, loadEnd)
	r.mdf("the end; the load generator shares the machine's cores with the servers. req/s, p50 and p99 are\n")
	r.mdf("over all rounds; the ratios, and the verdicts, are the medians over the cycles of each round's\n")
	r.mdf("figure against the bare server's in the same cycle, so that a burst of other work moves one cycle,\n")
	r.mdf("not the result. Both run with GOGC unset: the bare binary collects at Go's default 100%%, while\n")
	r.mdf("`zupy emulator start` sets 400%% (its live heap is a few megabytes), which took the process-level\n")
	r.mdf("ratio from 0.86× to 0.91× in a before/after run on a quiet machine (`-also-zupy`, 60 rounds).")
	if *alsoZupy != "" {
		r.mdf(" The row %s is another build of zupy (`-also-zupy`), loaded with recording on in the same\n", targets[len(targets)-1].name)
		r.mdf("cycles: a before/after of a change measured in one run.")
	}
	r.mdf("\n\n")
	r.mdf("| | req/s | p50 | p99 | req/s ratio | p99 ratio |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range targets {
		rr, pr := p.ratios(bare)
		r.mdf("| %s | %.0f | %.2f ms | %.2f ms | %.3f× | %.3f× |\n", p.name, p.rps(), ms(p.p50()), ms(p.p99()), rr, pr)
	}
	lo, hi := on.spread(bare)
	r.mdf("\nResult with recording on: %s; %s. The per-cycle req/s ratio of the emulator with recording on\n", v1, v2)
	r.mdf("ranged from %.2f× to %.2f× in this run: differences smaller than that spread are noise.\n", lo, hi)
	r.printf("  per-cycle req/s ratio, recording on: %.2f×–%.2f×\n", lo, hi)
	if rpsOn < goalRPS || p99On > goalP99 {
		cause := fmt.Sprintf("beyond the bare server's work, each verify computes the HMAC-SHA256 of the key, "+
			"checks the key cache, expiry and IP, takes a limiter decision, counts usage, sets the rate-limit headers, "+
			"encodes a JSON answer and formats a request log line (written in batches since issue 22: a write(2) per "+
			"line used to serialise the handlers). The load generator and the servers share %d cores with other work "+
			"(load average %s), so the same binary's ratio moves between cycles by the spread above; the recording-off "+
			"row shows what recording itself costs", runtime.NumCPU(), loadEnd)
		r.mdf("\n**Cause of the missed process-level goal.** %s.\n", strings.ToUpper(cause[:1])+cause[1:])
		r.printf("  cause: %s\n", cause)
	}
}
