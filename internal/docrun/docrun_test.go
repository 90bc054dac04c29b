package docrun

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

const sample = "# Title\n\n" +
	"```console\n" +
	"$ zupy version\n" +
	"zupy version …\n" +
	"\n" +
	"$ zupy keys show key_nope   # exit 7\n" +
	"Error: not_found - …\n" +
	"```\n\n" +
	"```sh\n" +
	"# a comment\n" +
	"export A=1\n" +
	"zupy keys create --name x \\\n" +
	"  --scopes loyalty:read\n" +
	"```\n\n" +
	"```sh norun\n" +
	"sudo dpkg -i zupy.deb\n" +
	"```\n\n" +
	"```text\n" +
	"$ not a command\n" +
	"```\n\n" +
	"```\n" +
	"no language\n" +
	"```\n"

func TestParseReadsCommandsOutputExitAndNoRun(t *testing.T) {
	blocks, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 5 {
		t.Fatalf("%d blocks; want 5", len(blocks))
	}
	c := blocks[0].Commands
	if blocks[0].Lang != "console" || len(c) != 2 || c[0].Text != "zupy version" || c[0].Line != 4 ||
		strings.Join(c[0].Output, "|") != "zupy version …" || c[0].Exit != 0 {
		t.Errorf("console block: %+v", blocks[0])
	}
	if c[1].Exit != 7 || strings.Join(c[1].Output, "|") != "Error: not_found - …" {
		t.Errorf("second console command: %+v", c[1])
	}
	sh := blocks[1].Commands
	if len(sh) != 2 || sh[0].Text != "export A=1" || sh[1].Text != "zupy keys create --name x \\\n  --scopes loyalty:read" || sh[1].Line != 14 {
		t.Errorf("sh block: %+v", sh)
	}
	if !blocks[2].NoRun || blocks[1].NoRun || len(blocks[2].Commands) != 1 {
		t.Errorf("norun: %+v / %+v", blocks[1], blocks[2])
	}
	if len(blocks[3].Commands) != 0 {
		t.Errorf("a text block yielded commands: %+v", blocks[3])
	}
}

func TestParseRefusesBrokenBlocks(t *testing.T) {
	for name, md := range map[string]string{
		"unclosed":             "```sh\nzupy version\n",
		"output first":         "```console\nsome output\n$ zupy version\n```\n",
		"continued at the end": "```sh\nzupy version \\\n```\n",
	} {
		if _, err := Parse([]byte(md)); err == nil {
			t.Errorf("%s: Parse accepted %q", name, md)
		}
	}
}

func TestMatchLinesInOrderWithEllipsis(t *testing.T) {
	out := "Logged in as Demo Partner  \nSession expires in 23h59m\n\nKey zup_live_sk_…9i0j\n"
	for _, c := range []struct {
		want    []string
		missing string
	}{
		{[]string{"Logged in as Demo Partner", "Session expires in …"}, ""},
		{[]string{"Key zup_live_sk_…"}, ""},
		{[]string{"Session expires in …", "Logged in as Demo Partner"}, "Logged in as Demo Partner"},
		{[]string{"Logged in as"}, "Logged in as"},
		{[]string{"Key zup_test_sk_…"}, "Key zup_test_sk_…"},
	} {
		if got := MatchLines(c.want, out); got != c.missing {
			t.Errorf("MatchLines(%q) = %q; want %q", c.want, got, c.missing)
		}
	}
}

func TestMatchLinesTakesFreshValuesAndColumnWidths(t *testing.T) {
	out := "key_vntwoywz6bb6*  PDV loja 1  production  in 365 days\n" +
		"│ Created        2026-11-30T10:00:05Z (ver_0pzwuimu68yw)   │\n"
	for _, c := range []struct {
		want    []string
		missing string
	}{
		{[]string{"key_0123456789ab*  PDV loja 1     production    in 365 days"}, ""},
		{[]string{"│ Created        2027-01-01T00:00:00Z (ver_aaaaaaaaaaaa) │"}, ""},
		// Spaces stay needed; an id of another shape is not fresh.
		{[]string{"key_0123456789ab*PDV loja 1  production  in 365 days"}, "key_0123456789ab*PDV loja 1  production  in 365 days"},
		{[]string{"key_01234*  PDV loja 1  production  in 365 days"}, "key_01234*  PDV loja 1  production  in 365 days"},
		{[]string{"key_0123456789ab*  PDV loja 2  production  in 365 days"}, "key_0123456789ab*  PDV loja 2  production  in 365 days"},
	} {
		if got := MatchLines(c.want, out); got != c.missing {
			t.Errorf("MatchLines(%q) = %q; want %q", c.want, got, c.missing)
		}
	}
}

func TestSessionKeepsExportsAndRunsOnATerminal(t *testing.T) {
	dir := t.TempDir()
	s := &Session{Dir: dir, Env: append(os.Environ(), "TERM=dumb"), Replace: map[string]string{"DOCPORT": "4242"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Check(ctx, Command{Text: "export GREETING=hello-DOCPORT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(ctx, Command{Text: "plain=$(echo not exported)"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Check(ctx, Command{Text: `echo "$GREETING, $plain"; [ -t 1 ] && echo terminal; exit 3`, Exit: 3,
		Output: []string{"hello-4242, not exported", "terminal"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Output)
	}
	if _, err := s.Check(ctx, Command{Text: "false"}); err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("a failing command passed the check: %v", err)
	}
	if _, err := s.Check(ctx, Command{Text: "echo something else", Output: []string{"hello"}}); err == nil {
		t.Error("output that differs passed the check")
	}
}

func TestOutputIsWhatTheTerminalLeavesShown(t *testing.T) {
	// A spinner drawn while the API was slow, then the result over it.
	out := "\r\x1b[K⠋ waiting for the API…\r\x1b[K⠙ waiting for the API…\r\x1b[K✓ rotate: key_a → key_b\r\nVerified\r\n"
	if got, want := shown(out), "✓ rotate: key_a → key_b\nVerified\n"; got != want {
		t.Errorf("shown(%q) = %q, want %q", out, got, want)
	}
	if missing := MatchLines([]string{"✓ rotate: key_a → key_b", "Verified"}, shown(out)); missing != "" {
		t.Errorf("lacks %q", missing)
	}
}
