package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

var tableNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestTableWithoutTerminalIsTabSeparatedWithoutHeader(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &bytes.Buffer{})
	s.Env = envOf(map[string]string{"CLICOLOR_FORCE": "1"}) // even forced colour does not style a pipe table
	tb := NewTable(s, "ID", "NAME", "EXPIRES", "LAST USED")
	if tb.IsTTY() {
		t.Fatal("table over a buffer claims a terminal")
	}
	sp := time.FixedZone("BRT", -3*3600)
	tb.AddField("key_aaaaaaaaaaaa", strings.ToUpper)
	tb.AddField("PDV loja 1")
	tb.AddTime(time.Date(2025, 9, 1, 9, 30, 0, 0, sp), tableNow)
	tb.AddTime(time.Time{}, tableNow)
	tb.EndRow()
	tb.AddField("key_bbbbbbbbbbbb")
	tb.AddField("b")
	tb.AddTime(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), tableNow)
	tb.AddTime(time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC), tableNow)
	tb.EndRow()
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	want := "key_aaaaaaaaaaaa\tPDV loja 1\t2025-09-01T12:30:00Z\t\n" +
		"key_bbbbbbbbbbbb\tb\t2025-05-01T00:00:00Z\t2025-05-31T00:00:00Z\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%q\nwant:\n%q", got, want)
	}
}

func TestTableCellsCannotBreakColumnsOrInjectEscapes(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var out bytes.Buffer
		s := Test(nil, &out, &bytes.Buffer{})
		s.SetTTY(false, tty, false)
		s.SetNoColor(true)
		tb := NewTable(s, "ID", "NAME", "ENV")
		tb.AddField("key_1")
		tb.AddField("evil\tname\nsecond line\r\x1b[31mred\x1b]0;title\x07\x7f\u009bend")
		tb.AddField("live")
		tb.EndRow()
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if strings.ContainsAny(got, "\x1b\x07\x7f\r\u009b") {
			t.Errorf("tty=%v: control characters reached the output: %q", tty, got)
		}
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		wantLines := 1
		if tty {
			wantLines = 2 // header and the row
		}
		if len(lines) != wantLines {
			t.Fatalf("tty=%v: %d lines, want %d: %q", tty, len(lines), wantLines, got)
		}
		row := lines[len(lines)-1]
		if !tty {
			fields := strings.Split(row, "\t")
			if len(fields) != 3 || fields[2] != "live" {
				t.Errorf("row split into %q, want 3 fields ending in live", fields)
			}
		}
		if !strings.Contains(row, "evil name second line [31mred]0;titleend") {
			t.Errorf("tty=%v: sanitized name not found in %q", tty, row)
		}
	}
}

func TestTableOnTerminalIsAlignedWithHeaderAndRelativeTimes(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &bytes.Buffer{})
	s.SetTTY(false, true, false)
	s.SetNoColor(true)
	tb := NewTable(s, "ID", "NAME", "EXPIRES")
	if !tb.IsTTY() {
		t.Fatal("table on a terminal stdout is not a TTY table")
	}
	tb.AddField("key_a")
	tb.AddField("a much longer name")
	tb.AddTime(tableNow.Add(3*24*time.Hour), tableNow)
	tb.EndRow()
	tb.AddField("key_bbbbbbbbbbbb")
	tb.AddField("ü")
	tb.AddTime(time.Time{}, tableNow)
	tb.EndRow()
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID                NAME                EXPIRES\n" +
		"key_a             a much longer name  in 3 days\n" +
		"key_bbbbbbbbbbbb  ü                   never\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableOnColourTerminalStylesHeaderAndCellsButAlignsOnText(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &bytes.Buffer{})
	s.SetTTY(false, true, false)
	tb := NewTable(s, "A", "B")
	cs := s.ColorScheme()
	if !cs.Enabled() {
		t.Fatal("colour should be on for a terminal")
	}
	tb.AddField("x", cs.Failure)
	tb.AddField("y")
	tb.EndRow()
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "\x1b[") {
		t.Fatalf("no styling on a colour terminal: %q", got)
	}
	if plain := stripANSI(got); plain != "A  B\nx  y\n" {
		t.Errorf("unstyled output %q, want %q", plain, "A  B\nx  y\n")
	}
}

func TestRelativeTime(t *testing.T) {
	now := tableNow
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{44 * time.Second, "just now"},
		{-44 * time.Second, "just now"},
		{45 * time.Second, "in 1 minute"},
		{-89 * time.Second, "1 minute ago"},
		{5 * time.Minute, "in 5 minutes"},
		{-5*time.Minute - 20*time.Second, "5 minutes ago"},
		{-5*time.Minute - 40*time.Second, "6 minutes ago"},
		{50 * time.Minute, "in 1 hour"},
		{-3 * time.Hour, "3 hours ago"},
		{35 * time.Hour, "in 35 hours"},
		{36 * time.Hour, "in 2 days"},
		{-89 * 24 * time.Hour, "89 days ago"},
		{89*24*time.Hour + 23*time.Hour, "in 90 days"},
		{547 * 24 * time.Hour, "in 547 days"},
		{-2 * 365 * 24 * time.Hour, "2 years ago"},
		{3 * 365 * 24 * time.Hour, "in 3 years"},
	} {
		if got := RelativeTime(now.Add(c.d), now); got != c.want {
			t.Errorf("RelativeTime(now%+v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "0s"},
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{59 * time.Second, "59s"},
		{59*time.Second + 600*time.Millisecond, "1m 00s"},
		{4*time.Minute + 32*time.Second, "4m 32s"},
		{time.Hour + 5*time.Second, "1h 00m"},
		{23*time.Hour + 59*time.Minute, "23h 59m"},
		{47*time.Hour + 59*time.Minute, "47h 59m"},
		{48 * time.Hour, "2d 0h"},
		{51*time.Hour + 30*time.Minute, "2d 3h"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 keys", 1: "1 key", 2: "2 keys"} {
		if got := Plural(n, "key"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
