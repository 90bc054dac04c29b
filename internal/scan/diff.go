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
	if bytes.HasPrefix(start, []byte("diff --git ")) {
		return true
	}
	first, rest, ok := bytes.Cut(start, []byte("\n"))
	return ok && bytes.HasPrefix(first, []byte("--- ")) && bytes.HasPrefix(rest, []byte("+++ "))
}

// scanDiff scans a unified diff as the change it makes: only added lines
// are read, each reported at its file and line number on the new side, so
// a pre-commit hook flags the secret a commit adds and not the one it
// removes. Lines carrying zupy:allow are skipped as everywhere.
func scanDiff(r *bufio.Reader, fn func(path string, h hit)) error {
	path := "-"
	newLine := 0 // number of the next line on the new side
	for {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 {
			line := bytes.TrimSuffix(raw, []byte("\n"))
			switch {
			case bytes.HasPrefix(line, []byte("+++ ")):
				path = diffPath(string(line[4:]))
			case bytes.HasPrefix(line, []byte("@@ ")):
				newLine = hunkStart(string(line))
			case bytes.HasPrefix(line, []byte("+")):
				body := line[1:]
				if !bytes.Contains(body, allowMarker) {
					scanLines(body, newLine, func(h hit) { fn(path, h) })
				}
				newLine++
			case bytes.HasPrefix(line, []byte(" ")):
				newLine++
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

// diffPath is the path of a "+++ " header: b/path without its prefix, or
// "-" for a deleted file (/dev/null).
func diffPath(s string) string {
	s, _, _ = strings.Cut(s, "\t") // diff -u appends a time stamp
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

// hunkStart is the first new-side line of a "@@ -a,b +c,d @@" header.
func hunkStart(s string) int {
	_, rest, ok := strings.Cut(s, " +")
	if !ok {
		return 0
	}
	end := strings.IndexAny(rest, ", ")
	if end < 0 {
		return 0
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}
