// Package scan finds Zupy secrets (API keys and session tokens) in files, in
// a git repository's history and in streams, without ever holding on to a
// secret in a form that prints whole. It is the engine of `zupy keys scan`
// (SPEC §4): matcher, walker, git history reader and SARIF writer.
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
// A secret has exact boundaries: the byte before it and the byte after it
// must not be a token character ([A-Za-z0-9_]), so nothing inside a longer
// token matches, and the part after the prefix must satisfy apikey's format
// rules (20–64 base62 characters for keys, exactly 40 for sessions). Bytes
// before data[0] count as a boundary: callers pass whole lines.
func findSecrets(data []byte, fn func(start, end int, kind Kind)) {
	i := 0
	for {
		j := bytes.Index(data[i:], secretStart)
		if j < 0 {
			return
		}
		start := i + j
		i = start + len(secretStart)
		if start > 0 && isTokenByte(data[start-1]) {
			continue
		}
		kind, prefixLen := kindAt(data[start:])
		if kind == "" {
			continue
		}
		end := start + prefixLen
		for end < len(data) && isBase62(data[end]) {
			end++
		}
		if end < len(data) && isTokenByte(data[end]) {
			// A base62 run followed by "_": part of a longer token.
			continue
		}
		if !wellFormed(kind, data[start:end]) {
			continue
		}
		fn(start, end, kind)
		i = end
	}
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

func isTokenByte(c byte) bool { return c == '_' || isBase62(c) }
