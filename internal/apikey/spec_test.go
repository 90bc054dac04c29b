package apikey

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantFieldError fails unless err is a *FieldError of field whose message
// contains every one of parts.
func wantFieldError(t *testing.T, err error, field string, parts ...string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want a *FieldError of %q", err, err, field)
	}
	if fe.Field != field {
		t.Errorf("FieldError.Field = %q, want %q (error %v)", fe.Field, field, err)
	}
	for _, p := range parts {
		if !strings.Contains(fe.Message, p) {
			t.Errorf("FieldError.Message = %q, want it to contain %q", fe.Message, p)
		}
	}
	if got, want := fe.Error(), fe.Field+": "+fe.Message; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestValidateNameAcceptsOneToHundredCharacters(t *testing.T) {
	for _, name := range []string{
		"a",
		"Production POS",
		" padded ",
		strings.Repeat("x", 100),
		strings.Repeat("é", 100), // 200 bytes, 100 characters
		strings.Repeat("日", 100),
		strings.Repeat("🔑", 100),
		"Loja São Paulo — caixa 3",
		"family 👨‍👩‍👧", // zero-width joiners are not controls
	} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
}

func TestValidateNameRejectsEmptyAndBlank(t *testing.T) {
	for _, name := range []string{"", " ", "\t\n", "\u00a0\u2003"} {
		err := ValidateName(name)
		wantFieldError(t, err, "name", "empty")
	}
}

func TestValidateNameRejectsMoreThanHundredCharacters(t *testing.T) {
	for _, name := range []string{strings.Repeat("x", 101), strings.Repeat("é", 101), strings.Repeat("🔑", 101)} {
		wantFieldError(t, ValidateName(name), "name", "at most 100", "got 101")
	}
}

func TestValidateNameRejectsControlCharacters(t *testing.T) {
	for _, name := range []string{
		"line\nbreak", "tab\there", "nul\x00", "del\x7f", "bell\a", "esc\x1b[31m", "c1\u0085",
		"cr\r", "trailing\n",
		"rtl\u202eoverride", "isolate\u2067x\u2069", "mark\u200f", "line\u2028sep", "para\u2029sep",
	} {
		wantFieldError(t, ValidateName(name), "name", "control")
	}
}

func TestValidateNameRejectsInvalidUTF8(t *testing.T) {
	wantFieldError(t, ValidateName("bad\xff"), "name", "UTF-8")
}

func TestValidateDescriptionAllowsUpTo500Characters(t *testing.T) {
	for _, d := range []string{"", "Used by the checkout", strings.Repeat("ç", 500), "multi\nline"} {
		if err := ValidateDescription(d); err != nil {
			t.Errorf("ValidateDescription(%d chars) = %v, want nil", len([]rune(d)), err)
		}
	}
	wantFieldError(t, ValidateDescription(strings.Repeat("ç", 501)), "description", "at most 500", "got 501")
	wantFieldError(t, ValidateDescription(strings.Repeat("d", 501)), "description", "at most 500")
	wantFieldError(t, ValidateDescription("bad\xff"), "description", "UTF-8")
}

func TestValidateDescriptionAllowsLineBreaksAndTabsOnly(t *testing.T) {
	for _, d := range []string{"", "first line\nsecond line", "col\tcol", "Loja São Paulo — caixa 3 🔑", "family 👨‍👩‍👧"} {
		if err := ValidateDescription(d); err != nil {
			t.Errorf("ValidateDescription(%q) = %v, want nil", d, err)
		}
	}
	for _, d := range []string{
		"nul\x00", "del\x7f", "bell\a", "esc\x1b[31mred", "c1\u0085", "cr\r\n", "back\bspace",
		"rtl\u202eoverride", "isolate\u2067x\u2069", "mark\u200f", "line\u2028sep", "para\u2029sep",
	} {
		wantFieldError(t, ValidateDescription(d), "description", "control")
	}
}

func TestValidateRateLimitBounds(t *testing.T) {
	for _, n := range []int{1, 100, DefaultRateLimit, 2000} {
		if err := ValidateRateLimit(n); err != nil {
			t.Errorf("ValidateRateLimit(%d) = %v, want nil", n, err)
		}
	}
	for _, n := range []int{0, -1, 2001, 1 << 40} {
		wantFieldError(t, ValidateRateLimit(n), "rate_limit", "between 1 and 2000", fmt.Sprintf("got %d", n))
	}
	if DefaultRateLimit != 100 {
		t.Errorf("DefaultRateLimit = %d, want 100", DefaultRateLimit)
	}
}

func TestParseIPRestrictionCanonicalForms(t *testing.T) {
	tests := map[string]string{
		"10.0.0.1":            "10.0.0.1",
		" 10.0.0.1 ":          "10.0.0.1",
		"10.0.0.0/8":          "10.0.0.0/8",
		"192.168.1.0/24":      "192.168.1.0/24",
		"0.0.0.0/0":           "0.0.0.0/0",
		"203.0.113.7/32":      "203.0.113.7/32",
		"2001:DB8::/32":       "2001:db8::/32",
		"2001:0db8:0::1":      "2001:db8::1",
		"2001:DB8::1/128":     "2001:db8::1/128",
		"::1":                 "::1",
		"::/0":                "::/0",
		"::ffff:10.0.0.1":     "10.0.0.1",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
		"::ffff:0:0/96":       "0.0.0.0/0",
	}
	for in, want := range tests {
		got, err := ParseIPRestriction(in)
		if err != nil {
			t.Errorf("ParseIPRestriction(%q) = %v, want %q", in, err, want)
			continue
		}
		if got != want {
			t.Errorf("ParseIPRestriction(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseIPRestrictionRefusesHostBitsWithSuggestion(t *testing.T) {
	_, err := ParseIPRestriction("10.0.0.5/8")
	wantFieldError(t, err, "ip_restrictions", "10.0.0.5/8", "host bits set; did you mean 10.0.0.0/8?")
	if !errors.Is(err, ErrHostBitsSet) {
		t.Errorf("error %v is not ErrHostBitsSet", err)
	}
	_, err = ParseIPRestriction("2001:db8::1/32")
	wantFieldError(t, err, "ip_restrictions", "host bits set; did you mean 2001:db8::/32?")
}

func TestParseIPRestrictionRejectsZonesAndGarbage(t *testing.T) {
	for _, in := range []string{
		"fe80::1%eth0", "fe80::1%eth0/64", "", "   ", "garbage", "10.0.0", "10.0.0.256",
		"010.0.0.1", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "/8", "10.0.0.0/8/8",
		"10.0.0.1-10.0.0.9", "example.com", "10.0.0.0/-1", "1.2.3.4:80", "[::1]",
	} {
		_, err := ParseIPRestriction(in)
		wantFieldError(t, err, "ip_restrictions")
	}
}

func TestParseIPRestrictionsAllowsFiftyAndRefusesFiftyOne(t *testing.T) {
	entries := make([]string, 51)
	for i := range entries {
		entries[i] = fmt.Sprintf("10.0.%d.0/24", i)
	}
	got, err := ParseIPRestrictions(entries[:50])
	if err != nil {
		t.Fatalf("50 entries: %v", err)
	}
	if len(got) != 50 {
		t.Errorf("50 entries gave %d", len(got))
	}
	_, err = ParseIPRestrictions(entries)
	wantFieldError(t, err, "ip_restrictions", "at most 50", "got 51")
	// Fifty distinct entries plus repeats are fifty entries.
	if got, err := ParseIPRestrictions(append(entries[:50:50], entries[0], entries[49])); err != nil || len(got) != 50 {
		t.Errorf("50 distinct entries with repeats: %d entries, %v", len(got), err)
	}
}

func TestValidateExpiryRefusesBeyondMaxExpiry(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if err := ValidateExpiry(MaxExpiry, now); err != nil {
		t.Errorf("MaxExpiry itself: %v", err)
	}
	err := ValidateExpiry(time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC), now)
	wantFieldError(t, err, "expires_at", "must not be after 2200-01-01T00:00:00Z")
}

func TestParseIPRestrictionsRemovesDuplicatesKeepingOrder(t *testing.T) {
	got, err := ParseIPRestrictions([]string{
		"192.168.0.0/16", "10.0.0.1", "::ffff:10.0.0.1", "2001:DB8::/32", " 192.168.0.0/16", "2001:db8::/32", "10.0.0.1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.168.0.0/16", "10.0.0.1", "2001:db8::/32"}
	if !slices.Equal(got, want) {
		t.Errorf("ParseIPRestrictions = %q, want %q", got, want)
	}
}

func TestParseIPRestrictionsFailsOnFirstBadEntry(t *testing.T) {
	got, err := ParseIPRestrictions([]string{"10.0.0.1", "10.0.0.5/8", "junk"})
	if got != nil {
		t.Errorf("ParseIPRestrictions returned %q with its error", got)
	}
	wantFieldError(t, err, "ip_restrictions", "10.0.0.5/8")
}

func TestParseIPRestrictionsOfNothingIsEmpty(t *testing.T) {
	got, err := ParseIPRestrictions(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("ParseIPRestrictions(nil) = %q, %v", got, err)
	}
}

func TestIPAllowed(t *testing.T) {
	restrictions := []string{"10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "fe80::1"}
	tests := map[string]bool{
		"10.1.2.3":           true,
		"10.255.255.255":     true,
		"11.0.0.1":           false,
		"192.168.1.7":        true,
		"192.168.1.8":        false,
		"::ffff:10.9.9.9":    true, // IPv4-mapped peer of a dual-stack listener
		"::ffff:192.168.1.7": true,
		"::ffff:11.0.0.1":    false,
		"2001:db8:1::5":      true,
		"2001:db9::1":        false,
		"fe80::1":            true,
		"fe80::1%eth0":       true, // the zone of a link-local peer does not matter
		"fe80::2%eth0":       false,
		"::1":                false,
	}
	for peer, want := range tests {
		if got := IPAllowed(restrictions, netip.MustParseAddr(peer)); got != want {
			t.Errorf("IPAllowed(%v, %s) = %v, want %v", restrictions, peer, got, want)
		}
	}
}

func TestIPAllowedWithoutRestrictionsAllowsAll(t *testing.T) {
	for _, peer := range []string{"10.0.0.1", "::1", "::ffff:1.2.3.4"} {
		if !IPAllowed(nil, netip.MustParseAddr(peer)) || !IPAllowed([]string{}, netip.MustParseAddr(peer)) {
			t.Errorf("IPAllowed(empty, %s) = false", peer)
		}
	}
}

func TestIPAllowedMatchesParsedMappedRestrictions(t *testing.T) {
	canon, err := ParseIPRestrictions([]string{"::ffff:10.0.0.0/104", "::ffff:172.16.0.9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, peer := range []string{"10.2.3.4", "::ffff:10.2.3.4", "172.16.0.9"} {
		if !IPAllowed(canon, netip.MustParseAddr(peer)) {
			t.Errorf("IPAllowed(%q, %s) = false, want true", canon, peer)
		}
	}
}

func TestIPAllowedRefusesInvalidPeer(t *testing.T) {
	if IPAllowed([]string{"0.0.0.0/0", "::/0"}, netip.Addr{}) {
		t.Error("the zero address is allowed")
	}
}

func TestParseExpiryConvertsRFC3339ToUTC(t *testing.T) {
	tests := map[string]time.Time{
		"2026-12-31T23:59:59Z":        time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		"2026-12-31T23:59:59+02:00":   time.Date(2026, 12, 31, 21, 59, 59, 0, time.UTC),
		"2026-12-31T22:00:00-03:00":   time.Date(2027, 1, 1, 1, 0, 0, 0, time.UTC),
		"2026-06-01T12:00:00.987654Z": time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
		" 2026-06-01T12:00:00Z\n":     time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	for in, want := range tests {
		got, err := ParseExpiry(in)
		if err != nil {
			t.Errorf("ParseExpiry(%q) = %v", in, err)
			continue
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseExpiry(%q) = %v, want %v in UTC", in, got, want)
		}
	}
}

func TestParseExpiryBareDateMeansEndOfDayUTC(t *testing.T) {
	got, err := ParseExpiry("2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ParseExpiry(2026-12-31) = %v, want %v", got, want)
	}
	if got.Format(time.RFC3339) != "2026-12-31T23:59:59Z" {
		t.Errorf("formatted = %s", got.Format(time.RFC3339))
	}
}

func TestParseExpiryRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "garbage", "tomorrow", "2026-13-01", "2026-02-30", "31/12/2026",
		"2026-12-31T23:59:59", "2026-12-31 23:59:59Z", "90d", "1767225599"} {
		_, err := ParseExpiry(in)
		wantFieldError(t, err, "expires_at")
	}
}

func TestValidateExpiryRefusesPastAndNow(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := ValidateExpiry(now.Add(time.Second), now); err != nil {
		t.Errorf("one second ahead: %v", err)
	}
	wantFieldError(t, ValidateExpiry(now, now), "expires_at", "future", "2026-05-01T12:00:00Z")
	wantFieldError(t, ValidateExpiry(now.Add(-time.Hour), now), "expires_at", "future")
	// The message shows UTC whatever the zone of the argument.
	wantFieldError(t, ValidateExpiry(now.In(time.FixedZone("BRT", -3*3600)), now), "expires_at", "2026-05-01T12:00:00Z")
}

func TestParseLifetimeAcceptsDaysHoursYearsMinutes(t *testing.T) {
	tests := map[string]time.Duration{
		"90d":   90 * 24 * time.Hour,
		"1d":    24 * time.Hour,
		"12h":   12 * time.Hour,
		"1y":    365 * 24 * time.Hour,
		"2y":    2 * 365 * 24 * time.Hour,
		"30m":   30 * time.Minute,
		"1h30m": 90 * time.Minute,
		" 7d ":  7 * 24 * time.Hour,
		"1.5h":  90 * time.Minute,
		"292y":  292 * 365 * 24 * time.Hour,
		"0090d": 90 * 24 * time.Hour,
	}
	for in, want := range tests {
		got, err := ParseLifetime(in)
		if err != nil || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if DefaultLifetime != 365*24*time.Hour {
		t.Errorf("DefaultLifetime = %v", DefaultLifetime)
	}
}

func TestParseLifetimeRejectsZeroNegativeAndGarbage(t *testing.T) {
	for _, in := range []string{
		"0d", "0y", "0s", "0", "-1h", "-1d", "-0d", "d", "y", "1.5d", "1.5y", "abc", "",
		"1 d", "1dd", "0x10d", "1e3d", "d1", "1h1d", "++1d", "1w", "99999999999999999999d",
	} {
		if got, err := ParseLifetime(in); err == nil {
			t.Errorf("ParseLifetime(%q) = %v, want error", in, got)
		}
	}
}

// TestParseLifetimeRefusesOverflow: "600y" used to wrap around to about 14
// years and "300y" to a negative duration.
func TestParseLifetimeRefusesOverflow(t *testing.T) {
	for _, in := range []string{"293y", "300y", "600y", "106752d", "9223372036854775807d", "100000000h"} {
		got, err := ParseLifetime(in)
		if err == nil {
			t.Errorf("ParseLifetime(%q) = %v, want error", in, got)
		}
	}
	if got, err := ParseLifetime("106751d"); err != nil || got != 106751*24*time.Hour {
		t.Errorf("ParseLifetime(106751d) = %v, %v", got, err)
	}
}

func TestParseLifetimeErrorNamesInput(t *testing.T) {
	_, err := ParseLifetime("abc")
	if err == nil || !strings.Contains(err.Error(), `"abc"`) || !strings.Contains(err.Error(), "90d") {
		t.Errorf("ParseLifetime(abc) error = %v, want it to name the input and give examples", err)
	}
	_, err = ParseLifetime("0d")
	if err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("ParseLifetime(0d) error = %v, want it to say positive", err)
	}
}
