package apikey

import (
	"errors"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseAuthorization: a header is accepted exactly when it is "Bearer "
// and a well-formed key with nothing around it, and the key is what follows
// "Bearer ".
func FuzzParseAuthorization(f *testing.F) {
	for _, seed := range []string{
		"Bearer " + validLive,
		"Bearer " + Staging.Prefix() + "1a2b3c4d5e6f7g8h9i0j",
		"bearer " + validLive,
		"Bearer  " + validLive,
		"Bearer " + validLive + " ",
		"Bearer\t" + validLive,
		"Basic " + validLive,
		validLive,
		"Bearer ",
		"Bearer",
		"Bearer zup_sess_" + strings.Repeat("a", 40),
		"Bearer " + validLive + "\r\n",
		"Bearer " + validLive + "," + validLive,
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		k, err := ParseAuthorization(h)
		token, prefixed := strings.CutPrefix(h, "Bearer ")
		_, parseErr := Parse(token)
		want := prefixed && token == strings.TrimSpace(token) && parseErr == nil
		if (err == nil) != want {
			t.Fatalf("ParseAuthorization(%q) error = %v, want accepted=%v", h, err, want)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidFormat) {
				t.Fatalf("ParseAuthorization(%q) error = %v, want ErrInvalidFormat", h, err)
			}
			return
		}
		if k.Secret != token {
			t.Fatalf("ParseAuthorization(%q).Secret = %q, want %q", h, k.Secret, token)
		}
	})
}

// FuzzIPRestrictions parses a comma-separated list, as --ip-allow and the
// ip_restrictions field give it: the result is canonical (each entry
// reparses to itself), without duplicates, within the limit, and holds every
// entry given; an address entry is allowed by the result.
func FuzzIPRestrictions(f *testing.F) {
	for _, seed := range []string{
		"10.0.0.1,10.0.0.0/8",
		"10.0.0.1,10.0.0.1, 10.0.0.1",
		"2001:db8::/32,2001:DB8::/32",
		"::ffff:10.0.0.1,10.0.0.1",
		"::ffff:10.0.0.0/104",
		"10.0.0.5/8",
		"fe80::1%eth0",
		",",
		"",
		strings.Repeat("1.2.3.4,", 30),
		"0.0.0.0/0,::/0",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries := strings.Split(s, ",")
		got, err := ParseIPRestrictions(entries)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "ip_restrictions" {
				t.Fatalf("ParseIPRestrictions(%q) error = %v, want an ip_restrictions FieldError", entries, err)
			}
			return
		}
		if len(got) > MaxIPRestrictions {
			t.Fatalf("ParseIPRestrictions(%q) kept %d entries, over the limit %d", entries, len(got), MaxIPRestrictions)
		}
		seen := map[string]bool{}
		for _, c := range got {
			if seen[c] {
				t.Fatalf("ParseIPRestrictions(%q) = %q: %q twice", entries, got, c)
			}
			seen[c] = true
			if again, err := ParseIPRestriction(c); err != nil || again != c {
				t.Fatalf("ParseIPRestrictions(%q) = %q: %q reparses to %q, %v", entries, got, c, again, err)
			}
		}
		for _, e := range entries {
			c, err := ParseIPRestriction(e)
			if err != nil || !slices.Contains(got, c) {
				t.Fatalf("ParseIPRestrictions(%q) = %q lost %q (%q, %v)", entries, got, e, c, err)
			}
			if a, err := netip.ParseAddr(strings.TrimSpace(e)); err == nil && !IPAllowed(got, a) {
				t.Fatalf("ParseIPRestrictions(%q) = %q does not allow %s itself", entries, got, a)
			}
		}
	})
}

// FuzzParseExpiry: an accepted expiry is UTC, whole seconds, and comes back
// unchanged from its RFC 3339 form.
func FuzzParseExpiry(f *testing.F) {
	for _, seed := range []string{
		"2026-12-31", "2026-12-31T23:59:59Z", "2026-12-31T23:59:59.999+02:00", " 2026-02-29 ",
		"2026-13-01", "31/12/2026", "2026-12-31T24:00:00Z", "9999-12-31", "0000-01-01", "2026-12-31T23:59:59",
		"", "-2026-01-01",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseExpiry(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "expires_at" {
				t.Fatalf("ParseExpiry(%q) error = %v, want an expires_at FieldError", s, err)
			}
			return
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Fatalf("ParseExpiry(%q) = %v, want UTC whole seconds", s, got)
		}
		if got.Year() < 0 || got.Year() > 9999 { // beyond RFC 3339: cannot be written back
			return
		}
		again, err := ParseExpiry(got.Format(time.RFC3339))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseExpiry(%q) = %v, which reparses to %v, %v", s, got, again, err)
		}
		_ = ValidateExpiry(got, time.Now()) // must not panic on any parsed time
	})
}

// FuzzParseLifetime: an accepted lifetime is positive and is the number
// times its unit, never a wrapped-around value.
func FuzzParseLifetime(f *testing.F) {
	for _, seed := range []string{
		"90d", "12h", "1y", "90m", "1h30m", "0d", "-1d", "600y", "106751d", "106752d", "9223372036854775807d",
		"d", "y", "1.5d", "1e3d", "+5d", " 7d ", "", "0", "1ns", "-0y",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseLifetime(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseLifetime(%q) error spans lines: %q", s, err)
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ParseLifetime(%q) = %v, want positive", s, d)
		}
		trimmed := strings.TrimSpace(s)
		if num, unit, ok := dayUnit(trimmed); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n <= 0 || n > math.MaxInt64/int64(unit) || d != time.Duration(n)*unit {
				t.Fatalf("ParseLifetime(%q) = %v, not %s × %v", s, d, num, unit)
			}
			return
		}
		if want, err := time.ParseDuration(trimmed); err != nil || want != d {
			t.Fatalf("ParseLifetime(%q) = %v, time.ParseDuration says %v, %v", s, d, want, err)
		}
	})
}
