package apikey

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the key settings (docs/api.md#routes).
const (
	MaxNameLength        = 100
	MaxDescriptionLength = 500
	MinRateLimit         = 1
	MaxRateLimit         = 2000
	DefaultRateLimit     = 100
	MaxIPRestrictions    = 50
	DefaultLifetime      = 365 * 24 * time.Hour
	// DefaultGrace is how long a rotated key keeps working when the
	// rotation names no grace period; MaxGrace the longest one accepted.
	DefaultGrace = 24 * time.Hour
	MaxGrace     = 168 * time.Hour
)

// FieldError is a validation failure of one field of a key's settings. Field
// is the API's field name; the CLI maps it to its flag.
type FieldError struct {
	Field   string
	Message string
	// Err is the rule that failed, when callers may act on it (such as
	// ErrHostBitsSet); nil otherwise.
	Err error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return e.Err }

// ErrHostBitsSet is the rule broken by a CIDR block whose address has bits
// set beyond its prefix (10.0.0.5/8): the message suggests the block meant.
var ErrHostBitsSet = errors.New("host bits set")

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ValidateName checks a key name: 1–100 characters, no control characters.
// Besides the C0/C1 controls (\n, \x7f…), bidirectional controls and the
// Unicode line and paragraph separators are refused: they would break or
// spoof the one-line display of a name in tables.
func ValidateName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case strings.TrimSpace(name) == "":
		return fieldErr("name", "must not be empty")
	case !utf8.ValidString(name):
		return fieldErr("name", "must be valid UTF-8")
	case n > MaxNameLength:
		return fieldErr("name", "must be at most %d characters (got %d)", MaxNameLength, n)
	case strings.IndexFunc(name, isNameControl) >= 0:
		return fieldErr("name", "must not contain control characters")
	}
	return nil
}

func isNameControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
		unicode.In(r, unicode.Zl, unicode.Zp)
}

// ValidateDescription checks a description: at most 500 characters, and no
// control characters (as for names) except line feeds and tabs: a
// description may span lines, but must not carry terminal escapes, carriage
// returns that overwrite what was shown, or bidirectional overrides.
func ValidateDescription(d string) error {
	if !utf8.ValidString(d) {
		return fieldErr("description", "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLength {
		return fieldErr("description", "must be at most %d characters (got %d)", MaxDescriptionLength, n)
	}
	if strings.IndexFunc(d, isDescriptionControl) >= 0 {
		return fieldErr("description", "must not contain control characters (line breaks and tabs are allowed)")
	}
	return nil
}

func isDescriptionControl(r rune) bool {
	return r != '\n' && r != '\t' && isNameControl(r)
}

// ValidateRateLimit checks a rate limit in requests per minute: 1–2000.
func ValidateRateLimit(n int) error {
	if n < MinRateLimit || n > MaxRateLimit {
		return fieldErr("rate_limit", "must be between %d and %d requests per minute (got %d)", MinRateLimit, MaxRateLimit, n)
	}
	return nil
}

// ParseIPRestrictions parses addresses and CIDR blocks into their canonical
// string form. A prefix with host bits set is an error, not silently masked;
// duplicates are removed, order kept.
func ParseIPRestrictions(entries []string) ([]string, error) {
	// The limit is on distinct entries; the raw list is bounded too, so a
	// body of repeats cannot make the server parse without end.
	if len(entries) > 4*MaxIPRestrictions {
		return nil, fieldErr("ip_restrictions", "at most %d entries are allowed (got %d)", MaxIPRestrictions, len(entries))
	}
	out := make([]string, 0, min(len(entries), MaxIPRestrictions))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		canon, err := ParseIPRestriction(e)
		if err != nil {
			return nil, err
		}
		if !seen[canon] {
			seen[canon] = true
			out = append(out, canon)
		}
	}
	if len(out) > MaxIPRestrictions {
		return nil, fieldErr("ip_restrictions", "at most %d entries are allowed (got %d)", MaxIPRestrictions, len(out))
	}
	return out, nil
}

// ParseIPRestriction parses one address or CIDR block into canonical form.
func ParseIPRestriction(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return "", fieldErr("ip_restrictions", "%q is not an IP address or CIDR block", s)
		}
		if m := p.Masked(); m != p {
			fe := fieldErr("ip_restrictions", "%s: host bits set; did you mean %s?", s, m)
			fe.Err = ErrHostBitsSet
			return "", fe
		}
		// An IPv4-mapped block (::ffff:10.0.0.0/104) is stored as the IPv4
		// block it means, like a mapped address: IPAllowed compares unmapped
		// peers, which an IPv6 prefix would never contain.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.String(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", fieldErr("ip_restrictions", "%q is not an IP address or CIDR block", s)
	}
	return a.Unmap().String(), nil
}

// IPAllowed reports whether addr is inside one of the canonical restrictions.
// An empty list allows every address. The peer's zone is ignored (a prefix
// never contains a zoned address) and an IPv4-mapped peer counts as IPv4.
func IPAllowed(restrictions []string, addr netip.Addr) bool {
	if len(restrictions) == 0 {
		return true
	}
	addr = addr.WithZone("").Unmap()
	for _, r := range restrictions {
		if strings.Contains(r, "/") {
			if p, err := netip.ParsePrefix(r); err == nil && p.Contains(addr) {
				return true
			}
		} else if a, err := netip.ParseAddr(r); err == nil && a.Unmap() == addr {
			return true
		}
	}
	return false
}

// MaxExpiry is the latest expiry a key may have. Later times are refused
// rather than stored: the emulator keeps times as Unix nanoseconds, which end
// in 2262, and no key needs to outlive its holder by centuries.
var MaxExpiry = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// ValidateExpiry checks that an expiry lies after now and not after
// MaxExpiry.
func ValidateExpiry(t, now time.Time) error {
	if !t.After(now) {
		return fieldErr("expires_at", "must be in the future (got %s)", t.UTC().Format(time.RFC3339))
	}
	if t.After(MaxExpiry) {
		return fieldErr("expires_at", "must not be after %s (got %s)", MaxExpiry.Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseExpiry accepts an RFC 3339 time or a bare date (YYYY-MM-DD, meaning
// 23:59:59Z of that day) and returns it in UTC, truncated to seconds.
func ParseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Second).UTC(), nil
	}
	return time.Time{}, fieldErr("expires_at", "%q is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T23:59:59Z)", s)
}

// ParseLifetime parses a duration for --expires-in: Go durations (12h, 90m)
// plus days (90d) and years (1y, 365 days each).
func ParseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a duration (examples: 90d, 12h, 1y)", s)
	var d time.Duration
	if num, unit, ok := dayUnit(s); ok {
		if num == "" || strings.Trim(num, "-0123456789") != "" {
			return 0, bad
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, bad
		}
		if n <= 0 { // before multiplying: -110000d wrapped around to 283 years
			return 0, fmt.Errorf("%q must be positive", s)
		}
		// Refuse what time.Duration cannot hold instead of wrapping around
		// (600y used to come out as about 14 years).
		if n > math.MaxInt64/int64(unit) {
			return 0, fmt.Errorf("%q is too long", s)
		}
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", s)
	}
	return d, nil
}

// dayUnit splits a lifetime in days or years into its number and unit.
func dayUnit(s string) (num string, unit time.Duration, ok bool) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		return n, 24 * time.Hour, true
	}
	if n, ok := strings.CutSuffix(s, "y"); ok {
		return n, 365 * 24 * time.Hour, true
	}
	return "", 0, false
}
