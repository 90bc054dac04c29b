// Command zupy-bench is `make bench`: it measures zupy against baselines
// built or run in the same invocation, prints each figure beside its
// baseline and goal, and writes the report to docs/benchmarks.md (and the
// raw Go benchmark lines, benchstat's input, to docs/benchmarks.txt).
//
// Absolute times on a shared machine are noise; the ratios are the result:
//
//   - start-up: `zupy --version` and `zupy keys --help` against a hello-world
//     Go binary built here with the same flags, interleaved runs, medians;
//     the GODEBUG=inittrace=1 breakdown; peak RSS;
//   - request: `zupy ping` against curl (scripts/bench-ping.sh);
//   - server: GET /v1/auth/verify against a bare net/http handler
//     (BenchmarkVerifyLoad, 32 clients);
//   - process level: the real `zupy emulator start` (usage recording on,
//     and off with the hidden --no-usage) against a bare net/http binary
//     answering the same bytes, separate processes under one load generator
//     (this program), interleaved rounds;
//   - scale: `zupy keys list --all` over 10,000 keys and `zupy keys usage
//     --since 30d` for a key with 30 days of traffic, end to end;
//   - the Go benchmarks of the limiter, the verify pipeline and the key
//     parser, -count times, as benchstat reads them.
//
// Each part can be skipped (-skip-…); a skipped part keeps its section of
// the previous report, marked as such.
//
// A goal missed is printed as missed; the exit status is 0 either way (a
// measurement, not a test), unless something could not be measured.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	runs      = flag.Int("runs", 41, "interleaved start-up runs of each binary (≥ 40)")
	pingRuns  = flag.Int("ping-runs", 41, "interleaved zupy ping / curl runs")
	count     = flag.Int("count", 6, "-count of the Go benchmarks (benchstat wants ≥ 6)")
	outMD     = flag.String("out", "docs/benchmarks.md", "the report to write (empty: none)")
	outTxt    = flag.String("raw", "docs/benchmarks.txt", "the raw Go benchmark output to write (empty: none)")
	skipGo    = flag.Bool("skip-go", false, "skip the Go micro-benchmarks")
	skipLoad  = flag.Bool("skip-load", false, "skip the verify load comparison")
	skipPing  = flag.Bool("skip-ping", false, "skip zupy ping against curl")
	skipStart = flag.Bool("skip-startup", false, "skip the start-up comparison")
	goCommand = "go"
)

// Goals of issue 13.
const (
	goalStartup  = 2.0  // zupy start-up ≤ 2.0 × hello world
	goalRSSMiB   = 12.0 // peak RSS of a start-up
	goalPing     = 1.2  // zupy ping ≤ 1.2 × curl
	goalRPS      = 0.9  // verify ≥ 0.9 × bare req/s
	goalP99      = 1.25 // verify p99 ≤ 1.25 × bare p99
	modulePrefix = "github.com/zupy/zupy-cli"
)

// report collects the lines printed and the sections of the markdown.
type report struct {
	md     strings.Builder
	missed []string
	kept   []string // sections kept from the previous report
}

func (r *report) printf(format string, a ...any) {
	fmt.Printf(format, a...)
}

func (r *report) mdf(format string, a ...any) { fmt.Fprintf(&r.md, format, a...) }

// goal prints and records one figure against its goal.
func (r *report) goal(name string, met bool, format string, a ...any) string {
	mark := "met"
	if !met {
		mark = "MISSED"
		r.missed = append(r.missed, name)
	}
	return fmt.Sprintf(format, a...) + " — " + mark
}

func main() {
	flag.Parse()
	if *runs < 40 {
		fatalf("-runs %d: the issue asks for at least 40", *runs)
	}
	work, err := os.MkdirTemp("", "zupy-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(work)

	r := &report{}
	started := time.Now()
	r.mdf("# Benchmarks\n\n")
	r.mdf("Written by `make bench` (`go run ./cmd/zupy-bench`) on %s. Every figure is a ratio\n", started.UTC().Format("2006-01-02 15:04 MST"))
	r.mdf("against a baseline measured in the same run: absolute times on a shared machine are noise.\n\n")
	r.mdf("## Machine\n\n%s\n", machine())

	zupy, hello := buildBinaries(work)
	// A part skipped keeps its section of the previous report, marked so.
	previous := readReport(*outMD)
	for _, part := range []struct {
		skip    bool
		flag    string
		heading string
		run     func()
	}{
		{*skipStart, "-skip-startup", "## Start-up", func() { startup(r, work, zupy, hello) }},
		{*skipPing, "-skip-ping", "## Request: ", func() { ping(r, zupy) }},
		{*skipLoad, "-skip-load", "## Server: ", func() { load(r) }},
		{*skipProcess, "-skip-process", "## Process level", func() { processLoad(r, work, zupy) }},
		{*skipScale, "-skip-scale", "## Scale", func() { scale(r, work, zupy) }},
		{*skipGo, "-skip-go", "## Go benchmarks", func() { goBench(r) }},
	} {
		if !part.skip {
			part.run()
			continue
		}
		if sec, ok := previous.section(part.heading); ok {
			heading, body, _ := strings.Cut(sec, "\n")
			written := previous.written
			if i := strings.Index(body, "\n_Not measured in this run"); i >= 0 && strings.TrimSpace(body[:i]) == "" {
				var note string
				note, body, _ = strings.Cut(body[i+1:], "\n") // kept twice: one note, the first date
				if m := keptFrom.FindStringSubmatch(note); m != nil {
					written = m[1]
				}
			}
			r.mdf("\n%s\n\n_Not measured in this run (`%s`): kept from the report of %s; its goals are not in the summary below._\n%s",
				heading, part.flag, written, body)
			r.kept = append(r.kept, strings.TrimPrefix(heading, "## "))
		}
	}

	summary := "every goal met"
	if len(r.missed) > 0 {
		summary = "goals missed: " + strings.Join(r.missed, ", ") + " (causes under each section)"
	}
	if len(r.kept) > 0 {
		summary += " in the parts measured in this run; kept from the previous report: " + strings.Join(r.kept, "; ")
	}
	fmt.Printf("\nzupy-bench: %s (%s)\n", summary, time.Since(started).Round(time.Second))
	r.mdf("\n## Summary\n\n%s.\n", strings.ToUpper(summary[:1])+summary[1:])
	if *outMD != "" {
		if err := os.WriteFile(*outMD, []byte(r.md.String()), 0o644); err != nil {
			fatalf("%v", err)
		}
		fmt.Printf("zupy-bench: wrote %s\n", *outMD)
	}
}

func fatalf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "zupy-bench: "+format+"\n", a...)
	os.Exit(1)
}

// machine describes where the run happened.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			load = fmt.Sprintf(", load average %s %s %s at the start", f[0], f[1], f[2])
		}
	}
	goVersion := strings.TrimSpace(string(output(goCommand, "version")))
	return fmt.Sprintf("- %s, %d logical CPUs (GOMAXPROCS %d), %s%s\n- %s\n- shared with other work: compare ratios, not times\n",
		cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), kernel, load, goVersion)
}

func output(name string, args ...string) []byte {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// buildBinaries builds zupy as `make build` does and a hello-world program
// with the same flags, so that the difference is zupy's own.
func buildBinaries(work string) (zupy, hello string) {
	zupy = filepath.Join(work, "zupy")
	hello = filepath.Join(work, "hello")
	flags := []string{"build", "-trimpath", "-ldflags", "-s -w"}
	build := func(dir, out, pkg string) {
		cmd := exec.Command(goCommand, append(flags, "-o", out, pkg)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fatalf("go build %s: %v", pkg, err)
		}
	}
	build(".", zupy, "./cmd/zupy")
	src := filepath.Join(work, "hellosrc")
	must(os.MkdirAll(src, 0o755))
	must(os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644))
	must(os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello, world\") }\n"), 0o644))
	build(src, hello, ".")
	return zupy, hello
}

func must(err error) {
	if err != nil {
		fatalf("%v", err)
	}
}

// sample is one run of a process.
type sample struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// runOnce starts argv with env, output discarded, and measures the wall
// time from start to exit and the peak resident set.
func runOnce(env []string, argv ...string) sample {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	wall := time.Since(start)
	return sample{wall, maxRSS(cmd.ProcessState)}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// startup compares zupy's start-up with hello world's.
func startup(r *report, work, zupy, hello string) {
	home := filepath.Join(work, "home")
	must(os.MkdirAll(home, 0o700))
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "ZUPY_CONFIG_DIR=" + filepath.Join(home, "config"), "NO_COLOR=1"}
	cases := []struct {
		name string
		argv []string
	}{
		{"hello world", []string{hello}},
		{"zupy --version", []string{zupy, "--version"}},
		{"zupy keys --help", []string{zupy, "keys", "--help"}},
	}
	samples := make([][]sample, len(cases))
	const warmup = 3
	for i := range *runs + warmup {
		for j := range cases {
			k := (i + j) % len(cases) // rotate the order: no case always runs first
			s := runOnce(env, cases[k].argv...)
			if i >= warmup {
				samples[k] = append(samples[k], s)
			}
		}
	}
	walls := func(s []sample) []time.Duration {
		out := make([]time.Duration, len(s))
		for i, x := range s {
			out[i] = x.wall
		}
		return out
	}
	peak := func(s []sample) int64 {
		var m int64
		for _, x := range s {
			m = max(m, x.maxRSS)
		}
		return m
	}
	base := median(walls(samples[0]))
	var worst time.Duration
	r.printf("start-up, median of %d interleaved runs each (after %d warm-up rounds):\n", *runs, warmup)
	r.mdf("\n## Start-up\n\n`zupy --version` and `zupy keys --help` against a hello-world Go program built in the same run\n")
	r.mdf("with the same flags (`CGO_ENABLED=0 go build -trimpath -ldflags '-s -w'`), %d interleaved runs each\n", *runs)
	r.mdf("(order rotated every round) after %d warm-up rounds; wall time from fork to exit, peak RSS from\n", warmup)
	r.mdf("`getrusage`. Goal: ≤ %.1f× hello world, peak RSS ≤ %.0f MiB.\n\n", goalStartup, goalRSSMiB)
	r.mdf("| command | median | ratio | peak RSS | |\n|---|---:|---:|---:|---|\n")
	r.printf("  %-18s median %6.2f ms   peak RSS %5.1f MiB\n", cases[0].name, ms(base), mib(peak(samples[0])))
	r.mdf("| %s | %.2f ms | 1.00× | %.1f MiB | baseline |\n", cases[0].name, ms(base), mib(peak(samples[0])))
	for k := 1; k < len(cases); k++ {
		m := median(walls(samples[k]))
		worst = max(worst, m)
		ratio := float64(m) / float64(base)
		rss := mib(peak(samples[k]))
		verdict := r.goal(cases[k].name+" start-up", ratio <= goalStartup, "%.2f× (goal ≤ %.1f×)", ratio, goalStartup)
		rssVerdict := r.goal(cases[k].name+" peak RSS", rss <= goalRSSMiB, "%.1f MiB (goal ≤ %.0f MiB)", rss, goalRSSMiB)
		r.printf("  %-18s median %6.2f ms   %s; peak RSS %s\n", cases[k].name, ms(m), verdict, rssVerdict)
		r.mdf("| `%s` | %.2f ms | %.2f× | %.1f MiB | %s; %s |\n", cases[k].name, ms(m), ratio, rss, tail(verdict), tail(rssVerdict))
	}
	initTrace(r, env, zupy, hello, worst-base, float64(worst)/float64(base) > goalStartup)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// tail is the verdict of a goal line ("met" or "MISSED").
func tail(s string) string {
	_, v, _ := strings.Cut(s, " — ")
	return v
}

// initLine is one line of GODEBUG=inittrace=1:
// "init net/http @2.1 ms, 0.36 ms clock, 37312 bytes, 259 allocs".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ m?s, ([0-9.]+) (m?s) clock, (\d+) bytes, (\d+) allocs`)

// pkgInit is a package's init cost, medians over the traced runs.
type pkgInit struct {
	clock  time.Duration
	bytes  int64
	allocs int64
}

// traceInits runs argv under GODEBUG=inittrace=1 n times and returns each
// package's median init clock and its allocations.
func traceInits(env []string, n int, argv ...string) map[string]pkgInit {
	clocks := map[string][]time.Duration{}
	out := map[string]pkgInit{}
	for range n {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(slices.Clone(env), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			fatalf("%s: %v", strings.Join(argv, " "), err)
		}
		sc := bufio.NewScanner(&stderr)
		for sc.Scan() {
			m := initLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			v, _ := strconv.ParseFloat(m[2], 64)
			unit := time.Millisecond
			if m[3] == "s" {
				unit = time.Second
			}
			clocks[m[1]] = append(clocks[m[1]], time.Duration(v*float64(unit)))
			b, _ := strconv.ParseInt(m[4], 10, 64)
			a, _ := strconv.ParseInt(m[5], 10, 64)
			out[m[1]] = pkgInit{bytes: b, allocs: a}
		}
	}
	for p, c := range clocks {
		x := out[p]
		x.clock = median(c)
		out[p] = x
	}
	return out
}

func sumClock(m map[string]pkgInit, keep func(string) bool) time.Duration {
	var d time.Duration
	for p, x := range m {
		if keep(p) {
			d += x.clock
		}
	}
	return d
}

// initTrace prints the package-init breakdown of `zupy --version`.
func initTrace(r *report, env []string, zupy, hello string, gap time.Duration, missed bool) {
	const n = 11
	z := traceInits(env, n, zupy, "--version")
	h := traceInits(env, n, hello)
	all := func(string) bool { return true }
	ours := func(p string) bool { return strings.HasPrefix(p, modulePrefix) }
	zTotal, hTotal, oTotal := sumClock(z, all), sumClock(h, all), sumClock(z, ours)
	var ourPkgs []string
	for p := range z {
		if ours(p) {
			ourPkgs = append(ourPkgs, p)
		}
	}
	slices.Sort(ourPkgs)
	top := slices.SortedFunc(maps.Keys(z), func(a, b string) int { return int(z[b].clock - z[a].clock) })
	top = top[:min(8, len(top))]
	watched := []string{"github.com/itchyny/gojq", "github.com/charmbracelet/huh"}

	r.printf("  package init (GODEBUG=inittrace=1, median of %d runs): zupy %d packages %.2f ms, hello world %d packages %.2f ms\n",
		n, len(z), ms(zTotal), len(h), ms(hTotal))
	r.printf("    ours (%s/…): %d packages with init work, %.3f ms\n", modulePrefix, len(ourPkgs), ms(oTotal))
	r.mdf("\nPackage initialisation (`GODEBUG=inittrace=1 zupy --version`, median clock of %d runs per package):\n", n)
	r.mdf("zupy runs %d package inits in %.2f ms, hello world %d in %.2f ms. Our own packages (`%s/…`)\n", len(z), ms(zTotal), len(h), ms(hTotal), modulePrefix)
	if len(ourPkgs) == 0 {
		r.mdf("have no init work at all: commands build what they need when they run.\n")
	} else {
		r.mdf("with init work: %d, %.3f ms in all:\n\n", len(ourPkgs), ms(oTotal))
		for _, p := range ourPkgs {
			r.mdf("- `%s`: %.3f ms, %d bytes, %d allocs\n", p, ms(z[p].clock), z[p].bytes, z[p].allocs)
			r.printf("      %-50s %.3f ms %d allocs\n", strings.TrimPrefix(p, modulePrefix+"/"), ms(z[p].clock), z[p].allocs)
		}
	}
	r.mdf("\nThe slowest inits:\n\n| package | clock | bytes | allocs |\n|---|---:|---:|---:|\n")
	r.printf("    slowest:")
	for _, p := range top {
		r.mdf("| `%s` | %.3f ms | %d | %d |\n", p, ms(z[p].clock), z[p].bytes, z[p].allocs)
		r.printf(" %s %.3f ms;", p, ms(z[p].clock))
	}
	r.printf("\n")
	for _, w := range watched {
		var d time.Duration
		var names []string
		for p, x := range z {
			if p == w || strings.HasPrefix(p, w+"/") {
				d += x.clock
				names = append(names, p)
			}
		}
		line := fmt.Sprintf("%s: not initialised at start-up", w)
		if len(names) > 0 {
			// Go runs the init of every linked package: a library used by
			// one flag costs every command its init.
			line = fmt.Sprintf("%s: %d packages initialised at start-up, %.3f ms (goal: kept out of start-up) — MISSED", w, len(names), ms(d))
			r.missed = append(r.missed, w+" init at start-up")
		}
		r.printf("    %s\n", line)
		r.mdf("\n%s.", line)
	}
	r.mdf("\n")

	// Init clock by module (standard library together), for the cause.
	byModule := map[string]time.Duration{}
	for p, x := range z {
		byModule[module(p)] += x.clock
	}
	mods := slices.SortedFunc(maps.Keys(byModule), func(a, b string) int { return int(byModule[b] - byModule[a]) })
	mods = mods[:min(8, len(mods))]
	r.mdf("\nInit clock by module:")
	r.printf("    init by module:")
	for _, m := range mods {
		r.mdf(" `%s` %.2f ms;", m, ms(byModule[m]))
		r.printf(" %s %.2f ms;", m, ms(byModule[m]))
	}
	r.mdf("\n")
	r.printf("\n")
	if missed {
		cause := fmt.Sprintf("zupy is one static binary holding the CLI and the emulator: before any command runs, Go "+
			"initialises all %d packages it links (hello world: %d), %.2f ms under the trace against %.2f ms, of which our own "+
			"packages take %.3f ms; the rest of the %.2f ms gap is mapping and faulting in a larger binary "+
			"(peak RSS above). The heaviest inits belong to dependencies: SQLite (modernc.org, the emulator), "+
			"viper's parsers (yaml, gotenv), gojq (--jq), encoding/gob (through go-git's config parser, used by keys scan's "+
			".gitignore matching) and lipgloss's ANSI tables. Meeting %.1f× needs fewer of them linked (the emulator or "+
			"keys scan in a separate binary, or lighter replacements), not changes to our packages.",
			len(z), len(h), ms(zTotal), ms(hTotal), ms(oTotal), ms(gap), goalStartup)
		r.mdf("\n**Cause of the missed start-up goal.** %s\n", cause)
		r.printf("  cause: %s\n", cause)
	}
}

// module is the module-like prefix of a package path: "std" for the
// standard library, else the first three elements of a host path
// (github.com/owner/repo) or the first two (modernc.org/libc).
func module(p string) string {
	first, _, _ := strings.Cut(p, "/")
	if !strings.Contains(first, ".") {
		return "std"
	}
	parts := strings.Split(p, "/")
	n := 2
	if first == "github.com" || first == "golang.org" || first == "gopkg.in" {
		n = 3
	}
	return strings.Join(parts[:min(n, len(parts))], "/")
}

// ping runs scripts/bench-ping.sh (the ping helper's comparison) and
// reports its ratio.
func ping(r *report, zupy string) {
	r.mdf("\n## Request: zupy ping against curl\n\n")
	const script = "scripts/bench-ping.sh"
	if _, err := os.Stat(script); err != nil {
		r.printf("ping vs curl: %s is missing (zupy ping is not on this branch): not measured\n", script)
		r.mdf("Not measured: %s is missing from this tree.\n", script)
		r.missed = append(r.missed, "ping vs curl (not measured)")
		return
	}
	cmd := exec.Command("bash", script, zupy, strconv.Itoa(*pingRuns))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	fmt.Print(string(out))
	if err != nil {
		fatalf("%s: %v", script, err)
	}
	m := regexp.MustCompile(`ratio\s+([0-9.]+)×`).FindSubmatch(out)
	if m == nil {
		fatalf("%s printed no ratio", script)
	}
	ratio, _ := strconv.ParseFloat(string(m[1]), 64)
	verdict := r.goal("ping vs curl", ratio <= goalPing, "%.2f× curl (goal ≤ %.1f×)", ratio, goalPing)
	r.printf("  %s\n", verdict)
	r.mdf("`zupy ping` and `curl` making the same GET /v1/auth/verify to a local emulator, each a fresh\n")
	r.mdf("process, interleaved (`%s`):\n\n```\n%s```\n\nResult: %s.\n", script, out, verdict)
}

// load runs BenchmarkVerifyLoad once and reports its ratios.
func load(r *report) {
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkVerifyLoad$", "-benchtime", "1x", "-count", "1", "./internal/emulator/"}
	out := goTest(args)
	metric := func(name string) float64 {
		m := regexp.MustCompile(`([0-9.e+]+) ` + name + `\b`).FindSubmatch(out)
		if m == nil {
			fatalf("BenchmarkVerifyLoad reported no %s:\n%s", name, out)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	rps, bareRPS, p99, bareP99, p50 := metric("verify_rps"), metric("bare_rps"), metric("p99_ms"), metric("bare_p99_ms"), metric("p50_ms")
	rpsRatio, p99Ratio := rps/bareRPS, p99/bareP99
	v1 := r.goal("verify req/s", rpsRatio >= goalRPS, "req/s %.3f× bare (goal ≥ %.2f×)", rpsRatio, goalRPS)
	v2 := r.goal("verify p99", p99Ratio <= goalP99, "p99 %.3f× bare (goal ≤ %.2f×)", p99Ratio, goalP99)
	r.printf("server, GET /v1/auth/verify against bare net/http, 32 clients (BenchmarkVerifyLoad):\n")
	r.printf("  verify %.0f req/s, p50 %.2f ms, p99 %.2f ms; bare %.0f req/s, p99 %.2f ms\n", rps, p50, p99, bareRPS, bareP99)
	r.printf("  %s\n  %s\n", v1, v2)
	r.mdf("\n## Server: GET /v1/auth/verify against bare net/http\n\n")
	r.mdf("`BenchmarkVerifyLoad` (internal/emulator/load_bench_test.go): the real emulator on SQLite, every\n")
	r.mdf("request a 200 through the whole pipeline over many keys, against a bare `net/http` handler writing\n")
	r.mdf("the same body and headers; same process, same load generator, 32 keep-alive clients, rounds\n")
	r.mdf("interleaved (`go %s`).\n\n", strings.Join(args, " "))
	r.mdf("| | req/s | p99 |\n|---|---:|---:|\n| bare net/http | %.0f | %.2f ms |\n| emulator verify | %.0f | %.2f ms |\n| ratio | %.3f× | %.3f× |\n\n",
		bareRPS, bareP99, rps, p99, rpsRatio, p99Ratio)
	r.mdf("Result: %s; %s.\n", v1, v2)
	if rpsRatio < goalRPS || p99Ratio > goalP99 {
		cause := "the emulator does for each request what the bare handler does not: the HMAC-SHA256 of the key, " +
			"the key cache and the expiry, IP and scope checks, the limiter, usage counting, and one request log line " +
			"through slog's text handler (a CPU profile of BenchmarkVerify puts the log line at about a quarter of the " +
			"handler, routing and the HMAC near a tenth each). The load generator runs in the same process on the same " +
			"2 shared cores, so each run moves the ratio by a few hundredths."
		r.mdf("\n**Cause of the missed server goal.** %s\n", strings.ToUpper(cause[:1])+cause[1:])
		r.printf("  cause: %s\n", cause)
	}
}

func goTest(args []string) []byte {
	cmd := exec.Command(goCommand, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprint(os.Stderr, string(out))
		fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// benchLines keeps the lines of go test -bench output that benchstat reads.
func benchLines(out []byte) []string {
	var lines []string
	for line := range strings.Lines(string(out)) {
		for _, p := range []string{"Benchmark", "goos:", "goarch:", "pkg:", "cpu:"} {
			if strings.HasPrefix(line, p) {
				lines = append(lines, line)
				break
			}
		}
	}
	return lines
}

// goBench runs the micro-benchmarks -count times, as benchstat wants them.
func goBench(r *report) {
	const named = "^(BenchmarkLimiter|BenchmarkVerify|BenchmarkParse|BenchmarkParseAuthorization)$"
	args := []string{"test", "-run", "^$", "-bench", named,
		"-benchmem", "-count", strconv.Itoa(*count), "./internal/ratelimit/", "./internal/emulator/", "./internal/apikey/"}
	lines := benchLines(goTest(args))
	// The other benchmarks of the module (keys scan against grep, …), once.
	otherArgs := []string{"test", "-run", "^$", "-bench", ".", "-skip", "^BenchmarkVerifyLoad$|" + named, "-benchmem", "./..."}
	other := benchLines(goTest(otherArgs))
	raw := strings.Join(lines, "")
	fmt.Printf("Go benchmarks (go %s):\n%s", strings.Join(args, " "), raw)
	fmt.Printf("other benchmarks (go %s):\n%s", strings.Join(otherArgs, " "), strings.Join(other, ""))
	if *outTxt != "" {
		must(os.WriteFile(*outTxt, []byte(raw+strings.Join(other, "")), 0o644))
	}
	defer func() {
		r.mdf("\nThe other benchmarks of the module, once (`go %s`):\n\n```\n%s```\n", strings.Join(otherArgs, " "), strings.Join(other, ""))
	}()
	r.mdf("\n## Go benchmarks\n\nThe limiter, the verify pipeline (whole handler, no network) and the key parser, `-count %d`\n", *count)
	r.mdf("(`go %s`). The raw lines are in\n[benchmarks.txt](benchmarks.txt): compare two runs with `benchstat old.txt new.txt`.\n\n", strings.Join(args, " "))
	r.mdf("| benchmark | ns/op (median) | B/op | allocs/op |\n|---|---:|---:|---:|\n")
	type row struct {
		ns   []float64
		b, a string
	}
	rows := map[string]*row{}
	var order []string
	re := regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(?:.*?\s([0-9.]+) B/op\s+([0-9.]+) allocs/op)?`)
	for _, line := range lines {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		x, ok := rows[m[1]]
		if !ok {
			x = &row{}
			rows[m[1]] = x
			order = append(order, m[1])
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		x.ns = append(x.ns, v)
		x.b, x.a = m[3], m[4]
	}
	for _, name := range order {
		x := rows[name]
		slices.Sort(x.ns)
		r.mdf("| %s | %.1f | %s | %s |\n", name, x.ns[len(x.ns)/2], x.b, x.a)
	}
}

// previousReport is the report a run replaces.
type previousReport struct {
	written  string // "2026-11-30 11:18 UTC", or "an earlier run"
	sections []string
}

var keptFrom = regexp.MustCompile(`kept from the report of ([^;]+);`)

var writtenOn = regexp.MustCompile(`on (\d{4}-\d\d-\d\d \d\d:\d\d \S+)\.`)

// readReport splits the report at path into its "## " sections (a missing
// file has none).
func readReport(path string) previousReport {
	p := previousReport{written: "an earlier run"}
	if path == "" {
		return p
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p
	}
	text := string(b)
	if m := writtenOn.FindStringSubmatch(text); m != nil {
		p.written = m[1]
	}
	for i, part := range strings.Split("\n"+text, "\n## ") {
		if i > 0 {
			p.sections = append(p.sections, "## "+part)
		}
	}
	return p
}

// section is the section whose heading starts with heading, its text up to
// the next section, ending in a newline.
func (p previousReport) section(heading string) (string, bool) {
	for _, s := range p.sections {
		if strings.HasPrefix(s, heading) {
			s = strings.TrimRight(s, "\n") + "\n"
			return s, true
		}
	}
	return "", false
}
