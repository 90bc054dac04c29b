package ui

import "testing"

func TestSingleLineNeutralisesLayoutAndEscapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"PDV loja 1", "PDV loja 1"},
		{"a\tb\nc\r\nd", "a b c  d"},
		{"red\x1b[31mname", "red[31mname"},
		{"bell\x07del\x7fc1\u0085", "belldelc1"},
		{"admin\u202egnp.exe", "admingnp.exe"},
		{"iso\u2066late\u2069 mark\u200f", "isolate mark"},
		{"line\u2028sep", "line sep"},
		{"emoji 👩‍💻 ok", "emoji 👩‍💻 ok"},
	} {
		if got := SingleLine(c.in); got != c.want {
			t.Errorf("SingleLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestErrColorSchemeFollowsStderrNotStdout(t *testing.T) {
	s := Test(nil, nil, nil)
	s.Env = func(k string) (string, bool) {
		if k == "TERM" {
			return "xterm", true
		}
		return "", false
	}
	s.SetTTY(true, true, false) // stdout a terminal, stderr redirected to a file
	if !s.ColorScheme().Enabled() {
		t.Fatal("stdout scheme off on a terminal")
	}
	if s.ErrColorScheme().Enabled() {
		t.Fatal("stderr scheme styles text for a redirected stderr")
	}
	s2 := Test(nil, nil, nil)
	s2.Env = s.Env
	s2.SetTTY(true, false, true) // stdout piped, stderr a terminal
	if !s2.ErrColorScheme().Enabled() || s2.ColorScheme().Enabled() {
		t.Fatal("schemes do not follow their own stream")
	}
}
