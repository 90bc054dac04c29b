package keys

import (
	"errors"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// FuzzParseGrace: --grace is refused with a usage error, or is a whole
// number of seconds from 0 to apikey.MaxGrace.
func FuzzParseGrace(f *testing.F) {
	for _, s := range []string{"24h", "90m", "2d", "0", "0d", "00y", "-1h", "-0d", "7d", "8d", "168h", "168h1s", "1.5s", "1y", "+1d", "", " 1h ", "-110000d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseGrace(s)
		if err != nil {
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseGrace(%q) error %v is not a usage error", s, err)
			}
			return
		}
		if d < 0 || d > apikey.MaxGrace || d%time.Second != 0 {
			t.Fatalf("parseGrace(%q) = %v, outside 0…%v in whole seconds", s, d, apikey.MaxGrace)
		}
	})
}

// FuzzParseExpiryFlags: --expires and --expires-in are refused with a usage
// error, or give an expiry the server accepts (after now, not after
// apikey.MaxExpiry), so nothing invalid is sent.
func FuzzParseExpiryFlags(f *testing.F) {
	for _, s := range [][2]string{{"2030-01-01", ""}, {"", "90d"}, {"", "1y"}, {"", "170y"}, {"", "200y"}, {"", "292y"}, {"2199-12-31", ""}, {"2201-01-01", ""}, {"", "-1d"}, {"1999-01-01", ""}, {"x", "y"}} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expires, expiresIn string) {
		got, err := parseExpiry(expires, expiresIn, now)
		if err != nil {
			var ue *cmdutil.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("parseExpiry(%q, %q) error %v is not a usage error", expires, expiresIn, err)
			}
			return
		}
		if got == nil {
			if expires != "" || expiresIn != "" {
				t.Fatalf("parseExpiry(%q, %q) = nil", expires, expiresIn)
			}
			return
		}
		if err := apikey.ValidateExpiry(*got, now); err != nil {
			t.Fatalf("parseExpiry(%q, %q) = %v, which the server refuses: %v", expires, expiresIn, got, err)
		}
	})
}
