package cmdutil

import (
	"context"
	"fmt"
	"io"
	"os"
)

// MaxRequestBody bounds a request body zupy builds or reads from a file or
// standard input (`zupy api`): 10 MiB, far above any body of the Zupy API
// (docs/api.md), small enough that a mistaken /dev/zero fails at once
// instead of filling the memory.
const MaxRequestBody = 10 << 20

// ContextReader reads r until ctx is done: a Read blocked on a terminal, a
// pipe or a FIFO with no writer returns ctx.Err() as soon as Ctrl-C or
// SIGTERM cancels the command's context (root.Main), so the command exits
// 130 instead of waiting for input that never comes. The blocked read is
// left behind in its goroutine; the process ends right after.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &contextReader{ctx: ctx, r: r}
}

type contextReader struct {
	ctx     context.Context
	r       io.Reader
	pending chan readResult // a read still running after a cancel
}

type readResult struct {
	buf []byte
	n   int
	err error
}

func (c *contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.pending != nil {
		return 0, c.ctx.Err()
	}
	// The goroutine reads into its own buffer: p must not be written after
	// Read has returned.
	buf := make([]byte, len(p))
	ch := make(chan readResult, 1)
	go func() {
		n, err := c.r.Read(buf)
		ch <- readResult{buf, n, err}
	}()
	select {
	case res := <-ch:
		copy(p, res.buf[:res.n])
		return res.n, res.err
	case <-c.ctx.Done():
		c.pending = ch
		return 0, c.ctx.Err()
	}
}

// ReadAll reads r to its end, honouring ctx (ContextReader), and fails with
// a *TooLargeError past limit bytes, having read at most limit+1.
func ReadAll(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(ContextReader(ctx, r), limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return data, nil
}

// TooLargeError is input longer than zupy accepts.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than %s", FormatBytes(e.Limit))
}

// FormatBytes writes n in the largest binary unit that divides it: 10 MiB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// OpenFile opens name for reading, honouring ctx: opening a FIFO blocks
// until a writer opens it, and Ctrl-C must still end the command. A file
// opened after the cancel is closed.
func OpenFile(ctx context.Context, name string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.Open(name)
		ch <- result{f, err}
	}()
	select {
	case res := <-ch:
		return res.f, res.err
	case <-ctx.Done():
		go func() {
			if res := <-ch; res.f != nil {
				res.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// ReadFile reads the file name, honouring ctx (OpenFile, ContextReader),
// and fails with a *TooLargeError past limit bytes without reading the rest.
func ReadFile(ctx context.Context, name string, limit int64) ([]byte, error) {
	f, err := OpenFile(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return ReadAll(ctx, f, limit)
}
