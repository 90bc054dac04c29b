package emulator

import (
	"io"
	"sync"
	"time"
)

// LogFlushInterval is the longest a line waits in a LogWriter.
const LogFlushInterval = 100 * time.Millisecond

const (
	// logKick: a buffer this full is written without waiting for the tick.
	logKick = 64 << 10
	// logMax: a writer this far behind makes the writing request write it
	// itself, so a slow terminal slows requests rather than growing memory.
	logMax = 1 << 20
	// logKeep: a bigger buffer is dropped after a write, not reused.
	logKeep = 256 << 10
)

// LogWriter batches the emulator's log (docs/api.md "How the emulator
// stores things"): a Write copies the line into memory, and a goroutine
// writes what has gathered to the underlying writer at least every
// LogFlushInterval, or sooner once logKick bytes wait, so that a request
// does not pay a write(2) of its own under the log handler's lock
// (docs/benchmarks.md, process level). Flush writes at once; Close writes
// everything still buffered and stops the goroutine, so a clean stop
// (Ctrl-C, SIGTERM) loses no line. A Write after Close goes straight
// through.
//
// Lines keep their order: one buffer, written in order by one writer at a
// time.
type LogWriter struct {
	w io.Writer

	mu     sync.Mutex // guards buf and closed
	buf    []byte
	closed bool

	wmu   sync.Mutex // held while writing to w; guards spare
	spare []byte

	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewLogWriter returns a LogWriter on w and starts its flusher; Close
// stops it.
func NewLogWriter(w io.Writer) *LogWriter {
	l := &LogWriter{w: w, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop()
	return l
}

func (l *LogWriter) loop() {
	defer close(l.done)
	t := time.NewTicker(LogFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		case <-l.kick:
		}
		_ = l.Flush()
	}
}

// Write buffers p (a whole line, as slog writes them). It never fails: the
// error of the underlying writer, like slog's own, has nowhere to go.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.wmu.Lock()
		defer l.wmu.Unlock()
		return l.w.Write(p)
	}
	l.buf = append(l.buf, p...)
	n := len(l.buf)
	l.mu.Unlock()
	switch {
	case n >= logMax:
		_ = l.Flush()
	case n >= logKick:
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes what is buffered now.
func (l *LogWriter) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	out := l.buf
	l.buf = l.spare[:0]
	l.mu.Unlock()
	var err error
	if len(out) > 0 {
		_, err = l.w.Write(out)
	}
	l.spare = nil
	if cap(out) <= logKeep {
		l.spare = out[:0]
	}
	return err
}

// Close writes what is buffered and stops the flusher; later writes go
// straight to the underlying writer. It is safe to call more than once.
func (l *LogWriter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.done
		// Holding wmu from the switch to the last write: a Write that
		// finds the writer closed waits for the buffered lines before it.
		l.wmu.Lock()
		defer l.wmu.Unlock()
		l.mu.Lock()
		l.closed = true
		out := l.buf
		l.buf, l.spare = nil, nil
		l.mu.Unlock()
		if len(out) > 0 {
			_, err = l.w.Write(out)
		}
	})
	return err
}

// FlushingWriter writes through l and flushes at once: for what a person
// waits to read (a one-time code message), in order with the log.
func (l *LogWriter) FlushingWriter() io.Writer { return flushing{l} }

type flushing struct{ l *LogWriter }

func (f flushing) Write(p []byte) (int, error) {
	n, _ := f.l.Write(p)
	return n, f.l.Flush()
}
