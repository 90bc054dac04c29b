package scan

import (
	"strings"
	"testing"
)

// Fixtures are assembled at run time, so this file holds no well-formed
// secret and the repository scans clean.
var (
	live20  = "zup_live_sk_" + strings.Repeat("a1B", 7)[:20]
	live64  = "zup_live_sk_" + strings.Repeat("Z9", 32)
	test20  = "zup_test_sk_" + strings.Repeat("q", 20)
	session = "zup_sess_" + strings.Repeat("0aZ", 14)[:40]
)

type match struct {
	text string
	kind Kind
}

func find(s string) []match {
	var out []match
	findSecrets([]byte(s), func(start, end int, kind Kind) {
		out = append(out, match{s[start:end], kind})
	})
	return out
}

func TestFindSecretsBoundaries(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []match
	}{
		{"live key alone", live20, []match{{live20, LiveKey}}},
		{"longest live key", live64, []match{{live64, LiveKey}}},
		{"staging key", test20, []match{{test20, TestKey}}},
		{"session token", session, []match{{session, SessionToken}}},
		{"in an assignment", "ZUPY_API_KEY=" + live20 + "\n", []match{{live20, LiveKey}}},
		{"quoted", `key: "` + live20 + `"`, []match{{live20, LiveKey}}},
		{"single quoted", `'` + test20 + `'`, []match{{test20, TestKey}}},
		{"bearer header", "Authorization: Bearer " + live20, []match{{live20, LiveKey}}},
		{"in a URL query", "https://x.test/?key=" + live20 + "&a=1", []match{{live20, LiveKey}}},
		{"followed by a dot", live20 + ".", []match{{live20, LiveKey}}},
		{"followed by a hyphen", live20 + "-x", []match{{live20, LiveKey}}},
		{"after a hyphen", "x-" + live20, []match{{live20, LiveKey}}},
		{"after a tab, CRLF after", "\t" + live20 + "\r\n", []match{{live20, LiveKey}}},
		{"two on a line", live20 + " " + session, []match{{live20, LiveKey}, {session, SessionToken}}},
		{"adjacent through a comma", live20 + "," + test20, []match{{live20, LiveKey}, {test20, TestKey}}},
		{"after non-ASCII", "é" + live20, []match{{live20, LiveKey}}},

		// Near misses.
		{"prefix alone", "zup_live_sk_", nil},
		{"19 characters", live20[:len(live20)-1], nil},
		{"19 then a space", live20[:len(live20)-1] + " " + "x", nil},
		{"65 characters", live64 + "Q", nil},
		{"inside a longer word", "x" + live20, nil},
		{"after a digit", "7" + live20, nil},
		{"after an underscore", "my_" + live20, nil},
		{"followed by an underscore", live20 + "_suffix", nil},
		{"followed by underscore, too short", "zup_live_sk_abc_" + strings.Repeat("a", 20), nil},
		{"unknown environment", "zup_prod_sk_" + strings.Repeat("a", 20), nil},
		{"publishable, not secret", "zup_live_pk_" + strings.Repeat("a", 20), nil},
		{"upper-case prefix", strings.ToUpper("zup_live_sk_") + strings.Repeat("a", 20), nil},
		{"session 39", session[:len(session)-1], nil},
		{"session 41", session + "x", nil},
		{"session inside word", "a" + session, nil},
		{"non-base62 inside", "zup_live_sk_" + strings.Repeat("a", 10) + "+" + strings.Repeat("a", 10), nil},
		{"masked form", "zup_live_sk_…9i0j", nil},
		{"go concatenation", `"zup_live_sk_" + strings.Repeat("a", 20)`, nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := find(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("find(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("match %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzFindSecrets checks the matcher's contract on any input: every match
// is a well-formed secret with token boundaries on both sides, and no
// well-formed, bounded secret is missed.
func FuzzFindSecrets(f *testing.F) {
	f.Add("plain text")
	f.Add("KEY=" + live20 + "\n")
	f.Add("x" + live20 + " " + session + "_")
	f.Add(live64 + "Q " + test20)
	f.Add("zup_zup_live_sk_zup_sess_" + strings.Repeat("9", 40))
	f.Fuzz(func(t *testing.T, s string) {
		last := -1
		findSecrets([]byte(s), func(start, end int, kind Kind) {
			if start < last {
				t.Fatalf("matches overlap at %d", start)
			}
			last = end
			if start > 0 && isTokenByte(s[start-1]) || end < len(s) && isTokenByte(s[end]) {
				t.Fatalf("match %q at %d has no boundary in %q", s[start:end], start, s)
			}
			if !wellFormed(kind, []byte(s[start:end])) {
				t.Fatalf("match %q is not a well-formed %s", s[start:end], kind)
			}
		})
		// A secret placed between spaces is always found.
		for _, secret := range []string{live20, session} {
			text := s + " " + secret + " " + s
			found := false
			findSecrets([]byte(text), func(start, end int, _ Kind) {
				if text[start:end] == secret && start == len(s)+1 {
					found = true
				}
			})
			if !found {
				t.Fatalf("missed %q after %q", secret, s)
			}
		}
	})
}
