package scan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

const (
	// MaxFileSize is the size above which files and blobs are skipped.
	MaxFileSize = 10 << 20
	// chunkSize is the read buffer of one worker.
	chunkSize = 256 << 10
	// maxLine is the longest line kept whole; a longer one (only possible
	// on standard input, files are at most MaxFileSize) is split, and a
	// secret straddling the split is missed.
	maxLine = MaxFileSize + chunkSize
	// sniffLen is how much of a file is searched for a NUL byte to call it
	// binary, as git and grep do.
	sniffLen = 8000
)

// hit is a secret found in a stream, before it is given a path.
type hit struct {
	line, column int
	kind         Kind
	secret       string
}

// scanStream reads r once, in chunks of whole lines, and calls fn for every
// secret on a line that does not carry zupy:allow. With sniff, a stream
// with a NUL byte in its first 8000 bytes is binary: nothing is reported
// and binary is true. buf is the worker's buffer; the one returned is the
// buffer to keep (it grows for long lines).
func scanStream(r io.Reader, buf []byte, sniff bool, fn func(hit)) (out []byte, binary bool, err error) {
	line := 1 // line number of buf[0]
	n := 0    // bytes held in buf
	first := true
	for {
		m, rerr := io.ReadFull(r, buf[n:])
		n += m
		eof := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !eof {
			return buf, false, rerr
		}
		if first {
			first = false
			if sniff && bytes.IndexByte(buf[:min(n, sniffLen)], 0) >= 0 {
				return buf, true, nil
			}
		}
		end := n
		if !eof {
			k := bytes.LastIndexByte(buf[:n], '\n')
			switch {
			case k >= 0:
				end = k + 1
			case len(buf) < maxLine:
				// One line fills the buffer: grow it and read on.
				bigger := make([]byte, min(2*len(buf), maxLine))
				copy(bigger, buf[:n])
				buf = bigger
				continue
			}
		}
		line += scanLines(buf[:end], line, fn)
		n = copy(buf, buf[end:n])
		if eof {
			return buf, false, nil
		}
	}
}

// scanLines reports the secrets of region, which starts at the start of
// line number first, and returns how many newlines it holds.
func scanLines(region []byte, first int, fn func(hit)) int {
	line, counted := first, 0
	findSecrets(region, func(start, end int, kind Kind) {
		line += bytes.Count(region[counted:start], []byte{'\n'})
		counted = start
		ls := bytes.LastIndexByte(region[:start], '\n') + 1
		le := bytes.IndexByte(region[end:], '\n')
		if le < 0 {
			le = len(region)
		} else {
			le += end
		}
		if bytes.Contains(region[ls:le], allowMarker) {
			return
		}
		fn(hit{line: line, column: utf8.RuneCount(region[ls:start]) + 1, kind: kind, secret: string(region[start:end])})
	})
	return line - first + bytes.Count(region[counted:], []byte{'\n'})
}

// ScanReader scans one stream (standard input), shown as path. It is read
// as text whatever it holds (a diff of a binary file says so in words). A
// unified diff (git diff) is read as the change it makes: only its added
// lines, each reported at its own file and line.
func ScanReader(r io.Reader, path string) ([]Finding, Stats, error) {
	var findings []Finding
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, chunkSize)
	start, _ := br.Peek(4096)
	var err error
	if isUnifiedDiff(start) {
		err = scanDiff(br, func(p string, h hit) {
			findings = append(findings, newFinding(p, h))
		})
		Sort(findings)
	} else {
		_, _, err = scanStream(br, make([]byte, chunkSize), false, func(h hit) {
			findings = append(findings, newFinding(path, h))
		})
	}
	return findings, Stats{Files: 1, Bytes: cr.n}, maskError(err)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
