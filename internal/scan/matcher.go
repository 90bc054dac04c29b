// Package scan finds Zupy secrets (API keys and session tokens) in files, in
// a git repository's history and in streams, without ever holding on to a
// secret in a form that prints whole. It is the engine of `zupy keys scan`
// (docs/scan.md): matcher, walker, git history reader and SARIF writer.
package scan

import (
	"bytes"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// Kind is the kind of a secret found.
type Kind string

const (
	LiveKey      Kind = "live_key"      // zup_live_sk_…: a production API key
	TestKey      Kind = "test_key"      // zup_test_sk_…: a staging API key
	SessionToken Kind = "session_token" // zup_sess_…: a partner login session
)

// Kinds lists every kind, in the order rules are reported.
var Kinds = []Kind{LiveKey, TestKey, SessionToken}

// IsKey reports whether secrets of kind k are API keys (that GET
// /auth/verify can check), not session tokens.
func (k Kind) IsKey() bool { return k == LiveKey || k == TestKey }

// Description is a short human name of the kind.
func (k Kind) Description() string {
	switch k {
	case LiveKey:
		return "Zupy production API key"
	case TestKey:
		return "Zupy staging API key"
	case SessionToken:
		return "Zupy session token"
	}
	return string(k)
}

var (
	secretStart = []byte("zup_")
	// allowMarker on a line excuses every secret on that line (fixtures).
	allowMarker = []byte("zupy:allow")
)

// findSecrets calls fn with the start, end and kind of every secret in data.
// Boundaries come from the secret's own alphabet: after the prefix, a key's
// identifier is a run of [A-Za-z0-9] (20–64 for keys, exactly 40 for
// sessions, apikey's format rules), so the secret ends where that run ends,
// whatever follows ("_", ".", a quote), and a longer run is no secret at
// all. Before the prefix, anything that is not a letter or digit is a
// boundary ("_" too: MY_KEY_zup_live_sk_…); a letter or digit is one only
// when it ends an escape that hides the real character, as in a JSON
// string (\n, \t, \u0022), a URL (%22, %3D, %253A) or quoted-printable
// mail (=3D): see escapeBefore. Any other letter or digit right before
// "zup_" makes the run part of a longer word (xzup_live_sk_…), not a key.
// Bytes before data[0] count as a boundary: callers pass whole lines.
func findSecrets(data []byte, fn func(start, end int, kind Kind)) {
	i := 0
	joined := -1 // where a secret starts that directly follows the previous one
	for {
		j := bytes.Index(data[i:], secretStart)
		if j < 0 {
			return
		}
		start := i + j
		i = start + len(secretStart)
		if start != joined && !boundaryBefore(data, start) {
			continue
		}
		kind, prefixLen := kindAt(data[start:])
		if kind == "" {
			continue
		}
		body := start + prefixLen
		end := body
		for end < len(data) && isBase62(data[end]) {
			end++
		}
		// Two secrets written back to back (…Xyzzup_live_sk_…): the run
		// of the first ends with the next one's "zup", which belongs to
		// the next.
		next := -1
		if end < len(data) && data[end] == '_' && end-len("zup") >= body && bytes.HasPrefix(data[end-len("zup"):], secretStart) {
			if k, _ := kindAt(data[end-len("zup"):]); k != "" {
				end -= len("zup")
				next = end
			}
		}
		if !wellFormed(kind, data[start:end]) {
			continue
		}
		fn(start, end, kind)
		i, joined = end, next
	}
}

// boundaryBefore reports whether a secret may start at data[start]: at the
// start of data, after a byte that no identifier holds, or after an escape
// whose last character happens to be a letter or digit.
func boundaryBefore(data []byte, start int) bool {
	return start == 0 || !isBase62(data[start-1]) || escapeBefore(data[:start])
}

// escapeBefore reports whether b ends with an escape sequence: %XX and
// =XX (hex), double-encoded %25XX, %uXXXX, \xXX, \uXXXX, \UXXXXXXXX, a
// backslash and a letter (\n, \t, \r, …) or \ and one to three octal
// digits.
func escapeBefore(b []byte) bool {
	n := len(b)
	// %XX, =XX, %25XX, %2525XX.
	if n >= 3 && isHex(b[n-1]) && isHex(b[n-2]) {
		k := n - 2
		for k >= 3 && b[k-2] == '2' && b[k-1] == '5' {
			k -= 2
		}
		if b[k-1] == '%' || b[k-1] == '=' {
			return true
		}
	}
	for _, e := range []struct {
		lead   string
		digits int
	}{{`\x`, 2}, {`\u`, 4}, {`%u`, 4}, {`\U`, 8}} {
		if n >= len(e.lead)+e.digits && string(b[n-e.digits-len(e.lead):n-e.digits]) == e.lead && allHex(b[n-e.digits:]) {
			return true
		}
	}
	if n >= 2 && b[n-2] == '\\' && isLetter(b[n-1]) {
		return true
	}
	for d := 1; d <= 3 && d < n; d++ {
		if !isOctal(b[n-d]) {
			break
		}
		if b[n-d-1] == '\\' {
			return true
		}
	}
	return false
}

// kindAt recognises the prefix at the start of b ("zup_" is known to be
// there) and returns its kind and length.
func kindAt(b []byte) (Kind, int) {
	rest := b[len(secretStart):]
	switch {
	case bytes.HasPrefix(rest, []byte("live_sk_")):
		return LiveKey, len(apikey.Production.Prefix())
	case bytes.HasPrefix(rest, []byte("test_sk_")):
		return TestKey, len(apikey.Staging.Prefix())
	case bytes.HasPrefix(rest, []byte("sess_")):
		return SessionToken, len(apikey.SessionPrefix)
	}
	return "", 0
}

// wellFormed applies internal/apikey's format rules, the ones client and
// server share, to a candidate.
func wellFormed(kind Kind, candidate []byte) bool {
	// The identifier lengths are bounded (64, 40): a longer run cannot pass,
	// and is refused before it is copied into a string.
	if len(candidate) > len(apikey.Production.Prefix())+64 {
		return false
	}
	if kind == SessionToken {
		return apikey.IsSessionToken(string(candidate))
	}
	_, err := apikey.Parse(string(candidate))
	return err == nil
}

func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' }

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}
