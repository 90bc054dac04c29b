package apikey

import "strings"

// MaskSecrets returns s with every secret-shaped run in it (an API key or a
// session token prefix followed by base62 characters, wherever it starts)
// replaced by its Mask. Text that echoes what a person typed — a flag's
// value in an error, a path, a jq expression — goes through it before it is
// shown, so a secret pasted in the wrong place is never printed whole
// (docs/security-model.md).
func MaskSecrets(s string) string {
	if !strings.Contains(s, "zup_") {
		return s
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "zup_")
		if i < 0 {
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		n := secretLen(rest)
		if n == 0 {
			b.WriteString("zup_")
			rest = rest[len("zup_"):]
			continue
		}
		b.WriteString(Mask(rest[:n]))
		rest = rest[n:]
	}
	b.WriteString(rest)
	return b.String()
}

// secretLen is the length of the secret s starts with (a known prefix and
// at least one base62 character), or 0.
func secretLen(s string) int {
	for _, p := range maskPrefixes {
		if !strings.HasPrefix(s, p) {
			continue
		}
		n := len(p)
		// A secret pasted twice in a row ends where the next one starts.
		for n < len(s) && isBase62(s[n:n+1]) && secretLen(s[n:]) == 0 {
			n++
		}
		if n == len(p) {
			return 0
		}
		return n
	}
	return 0
}
