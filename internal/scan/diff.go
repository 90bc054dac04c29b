package scan

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
)

// isUnifiedDiff reports whether a stream starts like the output of `git
// diff` ("diff --git …") or `diff -u` ("--- a" then "+++ b"): a YAML file
// that opens with "--- " is not a diff.
func isUnifiedDiff(start []byte) bool {
	for _, h := range []string{"diff --git ", "diff --cc ", "diff --combined "} {
		if bytes.HasPrefix(start, []byte(h)) {
			return true
		}
	}
	first, rest, ok := bytes.Cut(start, []byte("\n"))
	return ok && bytes.HasPrefix(first, []byte("--- ")) && bytes.HasPrefix(rest, []byte("+++ "))
}

// scanDiff scans a unified diff as the change it makes: only added lines
// are read, each reported at its file and line number on the new side, so
// a pre-commit hook flags the secret a commit adds and not the one it
// removes. Lines carrying zupy:allow are skipped as everywhere.
//
// Hunks are read by the line counts of their "@@ -a,b +c,d @@" header, not
// by the look of their lines: an added line whose content starts with "++ "
// shows as "+++ …" and a removed one starting with "-- " as "--- …", and
// both are content, not file headers. A combined diff (git diff --cc,
// "@@@ -a,b -c,d +e,f @@@") is read the same way, one marker column per
// parent. A line that cannot belong to the hunk ends it early, so a diff
// cut short or edited by hand is still read.
func scanDiff(r *bufio.Reader, fn func(path string, h hit)) error {
	path := "-"
	var h hunk // the hunk being read; h.done() outside one
	for {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 {
			line := bytes.TrimSuffix(raw, []byte("\n"))
			if !h.done() && !h.take(line, func(body []byte, at int) {
				if !bytes.Contains(body, allowMarker) {
					scanLines(body, at, func(x hit) { fn(path, x) })
				}
			}) {
				h = hunk{}
			}
			if h.done() {
				switch {
				case bytes.HasPrefix(line, []byte("+++ ")):
					path = diffPath(string(line[4:]))
				case bytes.HasPrefix(line, []byte("@@")):
					h = parseHunk(string(line))
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// hunk is what is left to read of one hunk: the lines still to come on
// each old side and on the new side, and the number of the next new line.
type hunk struct {
	old     []int // one count per parent: one, or more in a combined diff
	new     int
	newLine int
	started bool // true once the header has been read, until a line ends it early
}

func (h *hunk) done() bool {
	if !h.started {
		return true
	}
	if h.new > 0 {
		return false
	}
	for _, n := range h.old {
		if n > 0 {
			return false
		}
	}
	return true
}

// take reads one line of the hunk, calling added with the content of an
// added line and its new-side number. It reports false when the line
// cannot belong to the hunk (it is then read again as a header).
func (h *hunk) take(line []byte, added func(body []byte, at int)) bool {
	if bytes.HasPrefix(line, []byte(`\`)) { // "\ No newline at end of file"
		return true
	}
	n := len(h.old)
	if len(line) == 0 {
		// A context line whose single space a tool trimmed.
		line = bytes.Repeat([]byte(" "), n)
	}
	if len(line) < n {
		return false
	}
	marks := line[:n]
	inNew, isAdded := true, false
	for _, m := range marks {
		switch m {
		case '+':
			isAdded = true
		case '-':
			inNew = false
		case ' ':
		default:
			return false
		}
	}
	// A kept or added line is in each parent whose column is blank; a
	// removed one only in those whose column is "-". A line none of whose
	// sides has room left is not the hunk's.
	in := byte(' ')
	if !inNew {
		in = '-'
	}
	for i, m := range marks {
		if m == in && h.old[i] == 0 {
			return false
		}
	}
	if inNew && h.new == 0 {
		return false
	}
	for i, m := range marks {
		if m == in {
			h.old[i]--
		}
	}
	if inNew {
		if isAdded {
			added(line[n:], h.newLine)
		}
		h.new--
		h.newLine++
	}
	return true
}

// parseHunk reads a hunk header: "@@ -a,b +c,d @@" (a count left out
// means 1), or "@@@ -a,b -c,d +e,f @@@" with one old range per parent. A
// header it cannot read starts no hunk.
func parseHunk(s string) hunk {
	at := strings.TrimLeft(s, "@")
	parents := len(s) - len(at) - 1
	if parents < 1 || !strings.HasPrefix(at, " ") {
		return hunk{}
	}
	fields := strings.Fields(at)
	if len(fields) < parents+1 {
		return hunk{}
	}
	h := hunk{started: true}
	for i, f := range fields[:parents+1] {
		sign := byte('-')
		if i == parents {
			sign = '+'
		}
		if len(f) < 2 || f[0] != sign {
			return hunk{}
		}
		startText, countText, hasCount := strings.Cut(f[1:], ",")
		start, err := strconv.Atoi(startText)
		if err != nil || start < 0 {
			return hunk{}
		}
		count := 1
		if hasCount {
			if count, err = strconv.Atoi(countText); err != nil || count < 0 {
				return hunk{}
			}
		}
		if i < parents {
			h.old = append(h.old, count)
		} else {
			h.new, h.newLine = count, start
		}
	}
	return h
}

// diffPath is the path of a "+++ " header: b/path without its prefix, or
// "-" for a deleted file (/dev/null).
func diffPath(s string) string {
	s, _, _ = strings.Cut(strings.TrimSuffix(s, "\r"), "\t") // diff -u appends a time stamp
	if s == "/dev/null" {
		return "-"
	}
	if unq, err := strconv.Unquote(s); err == nil { // git quotes unusual names
		s = unq
	}
	if rest, ok := strings.CutPrefix(s, "b/"); ok {
		return rest
	}
	return s
}
