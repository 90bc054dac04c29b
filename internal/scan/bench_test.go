package scan

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmark tree: about 100 MiB of source-like text in 800 files, with
// near misses (zup_ prefixes too short to be keys) every few hundred lines
// and a well-formed key every megabyte or so. It is generated once per run
// in a temporary folder, never committed.
const (
	benchFiles    = 800
	benchFileSize = 128 << 10
)

var (
	benchOnce sync.Once
	benchDir  string
	benchSize int64
	benchErr  error
)

func benchTree(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "zupy-scan-bench-")
		if benchErr != nil {
			return
		}
		words := strings.Fields("func return if else for range err nil ctx context string int byte slice map struct " +
			"config token secret key value http request response client server handler test short")
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range benchFiles {
			p := filepath.Join(benchDir, fmt.Sprintf("pkg%02d", i%20), fmt.Sprintf("file%04d.go", i))
			if benchErr = os.MkdirAll(filepath.Dir(p), 0o755); benchErr != nil {
				return
			}
			f, err := os.Create(p)
			if err != nil {
				benchErr = err
				return
			}
			w := bufio.NewWriter(f)
			written := 0
			for line := 0; written < benchFileSize; line++ {
				var sb strings.Builder
				sb.WriteString("\t")
				for sb.Len() < 60 {
					sb.WriteString(words[rng.IntN(len(words))])
					sb.WriteByte(' ')
				}
				if line%200 == 0 {
					sb.WriteString(`"zup_live_sk_` + "short" + `", zup_`)
				}
				if i%8 == 0 && line == 500 {
					sb.WriteString(`key := "` + "zup_live_sk_" + strings.Repeat("Ab3", 7)[:20] + `"`)
				}
				sb.WriteByte('\n')
				n, _ := w.WriteString(sb.String())
				written += n
			}
			if err := w.Flush(); err != nil {
				benchErr = err
			}
			f.Close()
			benchSize += int64(written)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir, benchSize
}

// grepPattern is the scanner's pattern in grep's dialect (without the
// boundaries, which only make grep's job harder).
const grepPattern = `zup_(live|test)_sk_[A-Za-z0-9]{20,64}|zup_sess_[A-Za-z0-9]{40}`

// BenchmarkScanTreeVsGrep measures the scan's throughput on the tree and
// compares it with `grep -rEn` of the same pattern on the same tree, both
// on a warm page cache: vs-grep above 1 means faster than grep.
func BenchmarkScanTreeVsGrep(b *testing.B) {
	dir, size := benchTree(b)
	grep, err := exec.LookPath("grep")
	if err != nil {
		b.Skip("grep not installed")
	}
	runGrep := func() time.Duration {
		cmd := exec.Command(grep, "-rEn", grepPattern, dir)
		cmd.Env = append(os.Environ(), "LC_ALL=C") // grep's fastest mode
		start := time.Now()
		if out, err := cmd.Output(); err != nil || len(out) == 0 {
			b.Fatalf("grep: %v", err)
		}
		return time.Since(start)
	}
	runGrep() // warm the page cache
	grepBest := runGrep()
	for range 2 {
		grepBest = min(grepBest, runGrep())
	}

	b.SetBytes(size)
	b.ResetTimer()
	var best time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fs, _, err := ScanPaths(context.Background(), []string{dir}, Options{})
		if err != nil || len(fs) != benchFiles/8 {
			b.Fatalf("scan: %d findings, %v", len(fs), err)
		}
		if d := time.Since(start); i == 0 || d < best {
			best = d
		}
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(grepBest), "grep-MB/s")
	b.ReportMetric(mbps(best)/mbps(grepBest), "vs-grep")
	b.Logf("tree %d MB in %d files: zupy keys scan %.0f MB/s, grep -rE %.0f MB/s, ratio %.2f (best runs)",
		size/1e6, benchFiles, mbps(best), mbps(grepBest), mbps(best)/mbps(grepBest))
}

// BenchmarkScanStream is the single-stream speed of the matcher and line
// counter, without file system costs.
func BenchmarkScanStream(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 8<<20 {
		sb.WriteString("\tfunc handler(ctx context.Context, zup_ token string) error { return nil }\n")
	}
	data := sb.String()
	buf := make([]byte, chunkSize)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf, _, _ = scanStream(strings.NewReader(data), buf, true, func(hit) {})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}
