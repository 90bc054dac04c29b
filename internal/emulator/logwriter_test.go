package emulator

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingWriter records what reached it and how many writes did.
type countingWriter struct {
	buf    syncBuffer
	writes atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.buf.Write(p)
}

// Lines reach the underlying writer without a Flush, within a few ticks,
// and in batches: many lines, few writes.
func TestLogWriterWritesWithinTheIntervalInBatches(t *testing.T) {
	var out countingWriter
	l := NewLogWriter(&out)
	defer l.Close()
	for i := range 100 {
		fmt.Fprintf(l, "line %d\n", i)
	}
	if out.writes.Load() != 0 {
		t.Fatalf("a Write went straight through (%d writes): the log is not buffered", out.writes.Load())
	}
	deadline := time.Now().Add(20 * LogFlushInterval) // generous: the machine may be loaded
	for !strings.Contains(out.buf.String(), "line 99\n") {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d bytes of 100 lines were written", 20*LogFlushInterval, len(out.buf.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := out.writes.Load(); n > 10 {
		t.Errorf("100 lines took %d writes, want a few batches", n)
	}
}

// Close writes every line of concurrent writers, whole and in each
// writer's order; a Write after Close still reaches the writer.
func TestLogWriterCloseLosesNoLine(t *testing.T) {
	var out countingWriter
	l := NewLogWriter(&out)
	const writers, lines = 8, 5000 // 8 × 5000 × ~20 bytes: past logKick and logMax
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(l, "w%d %06d %s\n", w, i, strings.Repeat("x", w))
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(l, "after close")
	got := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	if len(got) != writers*lines+1 || got[len(got)-1] != "after close" {
		t.Fatalf("%d lines, last %q; want %d and then \"after close\"", len(got), got[len(got)-1], writers*lines+1)
	}
	next := make([]int, writers)
	for _, line := range got[:len(got)-1] {
		var w int
		if _, err := fmt.Sscanf(line, "w%d ", &w); err != nil || w < 0 || w >= writers {
			t.Fatalf("torn line %q", line)
		}
		if want := fmt.Sprintf("w%d %06d %s", w, next[w], strings.Repeat("x", w)); line != want {
			t.Fatalf("line %q: want %q (out of order or torn)", line, want)
		}
		next[w]++
	}
}

// The flushing writer (one-time code messages) writes at once, after the
// log lines before it.
func TestLogWriterFlushingWriterWritesAtOnceInOrder(t *testing.T) {
	var out countingWriter
	l := NewLogWriter(&out)
	defer l.Close()
	fmt.Fprintln(l, "log line")
	fmt.Fprintln(l.FlushingWriter(), "your code is in the message")
	if got := out.buf.String(); got != "log line\nyour code is in the message\n" {
		t.Fatalf("right after the message: %q", got)
	}
}
