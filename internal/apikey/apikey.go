// Package apikey defines the Zupy API key format: generating, parsing,
// masking and hashing keys. Client and emulator share it so that both apply
// exactly the same rules (docs/api.md#routes).
package apikey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Environment is where a key may be used. Its wire values are the ones the
// Zupy docs use in the key object; the key prefix uses live/test.
type Environment string

const (
	Production Environment = "production"
	Staging    Environment = "staging"
)

// Environments lists the valid environments, production first.
var Environments = []Environment{Production, Staging}

// ParseEnvironment accepts "production" or "staging".
func ParseEnvironment(s string) (Environment, error) {
	switch Environment(s) {
	case Production, Staging:
		return Environment(s), nil
	}
	return "", fmt.Errorf("invalid environment %q: must be production or staging", s)
}

// Prefix is the key prefix of the environment: zup_live_sk_ or zup_test_sk_.
func (e Environment) Prefix() string {
	if e == Staging {
		return "zup_test_sk_"
	}
	return "zup_live_sk_"
}

// BaseURL is the Zupy API base URL that serves keys of the environment.
func (e Environment) BaseURL() string {
	if e == Staging {
		return "https://api-staging.zupy.com/v1"
	}
	return "https://api.zupy.com/v1"
}

const (
	// IdentifierLength is the length of the random part of generated keys.
	IdentifierLength = 20
	minIdentifier    = 20
	maxIdentifier    = 64
	// SessionPrefix starts every session token.
	SessionPrefix = "zup_sess_"
	sessionLength = 40
)

// ErrInvalidFormat is the error of a string that is not a Zupy API key. Its
// text is the documented message; it never contains the offending input.
var ErrInvalidFormat = errors.New("Invalid API key format")

// Key is a parsed, well-formed API key.
type Key struct {
	Secret      string
	Environment Environment
}

// Parse checks that s is an API key in the format
// ^zup_(live|test)_sk_[A-Za-z0-9]{20,64}$ after trimming surrounding white
// space. Quotes, inner spaces or a "Bearer " prefix make it malformed.
func Parse(s string) (Key, error) {
	s = strings.TrimSpace(s)
	var env Environment
	var rest string
	switch {
	case strings.HasPrefix(s, "zup_live_sk_"):
		env, rest = Production, s[len("zup_live_sk_"):]
	case strings.HasPrefix(s, "zup_test_sk_"):
		env, rest = Staging, s[len("zup_test_sk_"):]
	default:
		return Key{}, ErrInvalidFormat
	}
	if len(rest) < minIdentifier || len(rest) > maxIdentifier || !isBase62(rest) {
		return Key{}, ErrInvalidFormat
	}
	return Key{Secret: s, Environment: env}, nil
}

// ParseAuthorization extracts an API key from an Authorization header value,
// which must be exactly "Bearer " followed by a well-formed key.
func ParseAuthorization(header string) (Key, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token != strings.TrimSpace(token) {
		return Key{}, ErrInvalidFormat
	}
	return Parse(token)
}

// IsSessionToken reports whether s has the shape of a session token.
func IsSessionToken(s string) bool {
	rest, ok := strings.CutPrefix(s, SessionPrefix)
	return ok && len(rest) == sessionLength && isBase62(rest)
}

// Generate returns a new key for env with a 20-character base62 identifier
// drawn from crypto/rand.
func Generate(env Environment) (string, error) {
	id, err := randomString(base62, IdentifierLength)
	if err != nil {
		return "", err
	}
	return env.Prefix() + id, nil
}

// GenerateSessionToken returns a new session token (zup_sess_ + 40 base62).
func GenerateSessionToken() (string, error) {
	id, err := randomString(base62, sessionLength)
	if err != nil {
		return "", err
	}
	return SessionPrefix + id, nil
}

// GenerateID returns a new key id: "key_" and 12 lowercase base36 characters.
func GenerateID() (string, error) {
	id, err := randomString(base36, 12)
	if err != nil {
		return "", err
	}
	return "key_" + id, nil
}

// ValidID reports whether s has the shape of a key id.
func ValidID(s string) bool {
	rest, ok := strings.CutPrefix(s, "key_")
	if !ok || len(rest) != 12 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base36, rest[i]) < 0 {
			return false
		}
	}
	return true
}

// Mask shows a secret as its prefix up to the last "_", "…" and its last four
// characters: zup_live_sk_…9i0j. Only the known prefixes (zup_live_sk_,
// zup_test_sk_, zup_sess_) are shown, so a malformed secret that happens to
// contain underscores is not revealed as a "prefix". Anything too short to
// mask safely (fewer than 8 characters after the prefix) is shown as the
// prefix and "…" alone.
func Mask(secret string) string {
	prefix, tail := "", secret
	for _, p := range maskPrefixes {
		if rest, ok := strings.CutPrefix(secret, p); ok {
			prefix, tail = p, rest
			break
		}
	}
	r := []rune(tail)
	if len(r) < 8 {
		return prefix + "…"
	}
	return prefix + "…" + string(r[len(r)-4:])
}

var maskPrefixes = []string{Production.Prefix(), Staging.Prefix(), SessionPrefix}

// Hash returns the hex HMAC-SHA256 of value under secret. The emulator stores
// keys, session tokens and OTP codes only in this form.
func Hash(secret []byte, value string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base36 = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// randomString draws n characters of alphabet uniformly from crypto/rand.
func randomString(alphabet string, n int) (string, error) {
	return randomStringFrom(rand.Reader, alphabet, n)
}

// randomStringFrom draws n characters of alphabet (at most 256 long) from r,
// rejecting the bytes at or above the largest multiple of len(alphabet) that
// fits in a byte, so that every character is equally likely (no modulo bias).
func randomStringFrom(r io.Reader, alphabet string, n int) (string, error) {
	limit := rejectionLimit(len(alphabet))
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out = append(out, alphabet[int(b)%len(alphabet)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// rejectionLimit is the largest multiple of size not above 256: byte values
// at or above it are rejected. It is an int so that a size dividing 256
// yields 256 (reject nothing) rather than overflowing a byte to 0.
func rejectionLimit(size int) int { return 256 - 256%size }

func isBase62(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
