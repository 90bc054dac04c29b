package apikey

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		validLive,
		"zup_test_sk_1a2b3c4d5e6f7g8h9i0j", // zupy:allow
		"  zup_live_sk_" + strings.Repeat("Z", 64) + "\n",
		"zup_live_sk_" + strings.Repeat("a", 19),
		"zup_live_sk_" + strings.Repeat("a", 65),
		`"` + validLive + `"`,
		"Bearer " + validLive,
		"zup_live_sk_1a2b3c4d5e 6f7g8h9i0j",
		"zup_prod_sk_1a2b3c4d5e6f7g8h9i0j",
		"zup_live_pk_1a2b3c4d5e6f7g8h9i0j",
		"zup_live_sk_1a2b3c4d5e6f7g8h9i0é",
		"zup_sess_" + strings.Repeat("a", 40),
		"zup_live_sk_",
		"\u00a0zup_live_sk_1a2b3c4d5e6f7g8h9i0j\u2028", // zupy:allow
		"zup_live_sk_1a2b3c4d5e6f7g8h9i0\xff",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidFormat) || err.Error() != "Invalid API key format" {
				t.Fatalf("Parse(%q) error = %v, want ErrInvalidFormat", s, err)
			}
			if keyPattern.MatchString(strings.TrimSpace(s)) {
				t.Fatalf("Parse(%q) refused a key matching the format", s)
			}
			return
		}
		trimmed := strings.TrimSpace(s)
		if !keyPattern.MatchString(trimmed) {
			t.Fatalf("Parse(%q) accepted a string not matching the format", s)
		}
		if k.Secret != trimmed {
			t.Fatalf("Parse(%q).Secret = %q, want %q", s, k.Secret, trimmed)
		}
		want := Staging
		if strings.HasPrefix(trimmed, "zup_live_sk_") {
			want = Production
		}
		if k.Environment != want {
			t.Fatalf("Parse(%q).Environment = %q, want %q", s, k.Environment, want)
		}
		if !strings.HasPrefix(k.Secret, k.Environment.Prefix()) {
			t.Fatalf("Parse(%q): secret %q does not start with %q", s, k.Secret, k.Environment.Prefix())
		}
		if again, err := ParseAuthorization("Bearer " + k.Secret); err != nil || again != k {
			t.Fatalf("ParseAuthorization(Bearer %q) = %+v, %v; want %+v", k.Secret, again, err, k)
		}
		if m := Mask(k.Secret); m != k.Environment.Prefix()+"…"+k.Secret[len(k.Secret)-4:] {
			t.Fatalf("Mask(%q) = %q", k.Secret, m)
		}
	})
}

func FuzzIPRestriction(f *testing.F) {
	for _, seed := range []string{
		"10.0.0.1", "10.0.0.0/8", "10.0.0.5/8", "2001:DB8::/32", "::ffff:10.0.0.1",
		"::ffff:10.0.0.0/104", "::ffff:0:0/80", "fe80::1%eth0", "fe80::1%eth0/64", "garbage",
		"", " 192.168.0.0/16 ", "::/0", "1.2.3.4/", "/", "::ffff:1.2.3.4/128",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canon, err := ParseIPRestriction(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "ip_restrictions" {
				t.Fatalf("ParseIPRestriction(%q) error = %v, want an ip_restrictions FieldError", s, err)
			}
			return
		}
		again, err := ParseIPRestriction(canon)
		if err != nil || again != canon {
			t.Fatalf("ParseIPRestriction(%q) = %q, which reparses to %q, %v", s, canon, again, err)
		}
	})
}
