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
		{"after an underscore", "my_" + live20, []match{{live20, LiveKey}}},
		{"after A_", "MY_A_" + live20, []match{{live20, LiveKey}}},
		{"followed by an underscore", live20 + "_suffix", []match{{live20, LiveKey}}},
		{"session followed by an underscore", session + "_old", []match{{session, SessionToken}}},
		{"in a file name", "name_" + live20 + ".env", []match{{live20, LiveKey}}},
		{"back to back", live20 + test20, []match{{live20, LiveKey}, {test20, TestKey}}},
		{"back to back, session second", live64 + session, []match{{live64, LiveKey}, {session, SessionToken}}},

		// Near misses.
		{"prefix alone", "zup_live_sk_", nil},
		{"19 characters", live20[:len(live20)-1], nil},
		{"19 then a space", live20[:len(live20)-1] + " " + "x", nil},
		{"65 characters", live64 + "Q", nil},
		{"inside a longer word", "x" + live20, nil},
		{"after a digit", "7" + live20, nil},
		{"followed by underscore, too short", "zup_live_sk_abc_" + strings.Repeat("a", 20), nil},
		{"unknown environment", "zup_prod_sk_" + strings.Repeat("a", 20), nil},
		{"publishable, not secret", "zup_live_pk_" + strings.Repeat("a", 20), nil},
		{"upper-case prefix", strings.ToUpper("zup_live_sk_") + strings.Repeat("a", 20), nil},
		{"session 39", session[:len(session)-1], nil},
		{"session 41", session + "x", nil},
		{"session inside word", "a" + session, nil},
		{"after a hex pair without %", "3A" + live20, nil},
		{"after an escape-like word", "xn" + live20, nil},
		{"too short after trimming the next prefix", "zup_live_sk_abczup_live_sk_" + strings.Repeat("a", 20), nil},
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

// The matcher sees through the escapes that hide the character before a
// secret: JSON and C string escapes, URL encoding (once or twice), %u,
// quoted-printable mail. Each case is the key after the escape, and what
// follows it is the encoding's own closing text.
func TestFindSecretsThroughEscapes(t *testing.T) {
	tests := []struct{ name, before, after string }{
		{"JSON \\n", `{"k":"a\n`, `"}`},
		{"JSON \\t", `"a\t`, `"`},
		{"JSON \\r", `"\r`, `\r\n"`},
		{"JSON \\\"", `"k=\"`, `\""`},
		{"JSON \\u0022", `"\u0022`, `\u0022"`},
		{"JSON \\u003d", `"KEY\u003d`, `"`},
		{"double-escaped JSON \\\\n", `"{\"a\":\"x\\n`, `\"}"`},
		{"C \\x22", `"\x22`, `"`},
		{"octal \\042", `"\042`, `"`},
		{"Python \\U", `"\U0000003d`, `"`},
		{"URL %22", `GET /h?d=%7B%22k%22%3A%22`, `%22%7D`},
		{"URL %3D", `q=KEY%3D`, `&x=1`},
		{"URL %3A", `k%3A`, `%2C`},
		{"URL %2C", `a%2C`, `%2C`},
		{"URL %7B lower case", `%7b`, `%7d`},
		{"URL double-encoded %253A", `d=%257B%2522k%2522%253A%2522`, `%2522%257D`},
		{"URL triple-encoded", `%25253D`, ``},
		{"JS escape() %u0022", `%u0022`, `%u0022`},
		{"quoted-printable =3D", `ZUPY_API_KEY=3D`, `=`},
		{"plus for a space", `a+`, `+b`},
		{"HTML entity", `value=&quot;`, `&quot;`},
		{"HTML numeric entity", `&#34;`, `&#34;`},
	}
	for _, tt := range tests {
		for _, secret := range []string{live20, live64, test20, session} {
			t.Run(tt.name, func(t *testing.T) {
				in := tt.before + secret + tt.after
				got := find(in)
				if len(got) != 1 || got[0].text != secret {
					t.Errorf("find(%q) = %v, want the secret alone", MaskPath(in), got)
				}
			})
		}
	}
}

// FuzzFindSecrets checks the matcher's contract on any input: every match
// is a well-formed secret whose identifier run ends with it and whose
// prefix is not glued to a word, and no well-formed secret is missed after
// a space or behind any escape (%22, %3A, \n, \u0022, _).
func FuzzFindSecrets(f *testing.F) {
	f.Add("plain text")
	f.Add("KEY=" + live20 + "\n")
	f.Add("x" + live20 + " " + session + "_")
	f.Add(live64 + "Q " + test20)
	f.Add("zup_zup_live_sk_zup_sess_" + strings.Repeat("9", 40))
	f.Add("%7B%22k%22%3A%22" + live20 + "%22%7D")
	f.Add(`{"a":"x\n` + test20 + `\t` + session + `"}`)
	f.Add("MY_A_" + live20 + "_old" + live20 + test20)
	f.Fuzz(func(t *testing.T, s string) {
		last := -1
		findSecrets([]byte(s), func(start, end int, kind Kind) {
			if start < last {
				t.Fatalf("matches overlap at %d", start)
			}
			if start > 0 && start != last && !boundaryBefore([]byte(s), start) {
				t.Fatalf("match %q at %d is glued to a word in %q", s[start:end], start, s)
			}
			// Only the prefix of a secret written right after it may
			// follow a secret's last identifier character.
			nextPrefix := strings.HasPrefix(s[end:], "zup_live_sk_") || strings.HasPrefix(s[end:], "zup_test_sk_") || strings.HasPrefix(s[end:], "zup_sess_")
			if end < len(s) && isBase62(s[end]) && !nextPrefix {
				t.Fatalf("match %q at %d ends inside an identifier run in %q", s[start:end], start, s)
			}
			last = end
			if !wellFormed(kind, []byte(s[start:end])) {
				t.Fatalf("match %q is not a well-formed %s", s[start:end], kind)
			}
		})
		// A secret placed after a space or an escape, and before a
		// space, is always found.
		for _, sep := range []string{" ", "_", "%22", "%3A", "%253D", `\n`, `\t`, `\u0022`, "=3D"} {
			for _, secret := range []string{live20, session} {
				text := s + sep + secret + " " + s
				found := false
				findSecrets([]byte(text), func(start, end int, _ Kind) {
					if text[start:end] == secret && start == len(s)+len(sep) {
						found = true
					}
				})
				if !found {
					t.Fatalf("missed %q after %q", secret, s+sep)
				}
			}
		}
	})
}
