package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestBarFillsInProportion(t *testing.T) {
	for _, tc := range []struct {
		filled, total int
		want          string
	}{
		{0, 10, "░░░░░░░░░░"},
		{5, 10, "█████░░░░░"},
		{10, 10, "██████████"},
		{1, 1000, "█░░░░░░░░░"}, // something left shows as something
		{12, 10, "██████████"},
		{3, 0, "░░░░░░░░░░"},
	} {
		if got := Bar(tc.filled, tc.total, 10); got != tc.want {
			t.Errorf("Bar(%d, %d) = %q, want %q", tc.filled, tc.total, got, tc.want)
		}
	}
}

func TestUsageBarPlainHasNoEscapes(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	got := UsageBar(cs, 49, 50)
	if got != "███████████████████░ 49 of 50 left" {
		t.Fatalf("UsageBar = %q", got)
	}
}

func TestCountdownCountsEverySecondOnATerminal(t *testing.T) {
	var errOut bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &errOut)
	s.SetTTY(false, false, true)
	s.Env = noColor
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	if err := s.Countdown(context.Background(), "frees up in", 2500*time.Millisecond, sleep); err != nil {
		t.Fatal(err)
	}
	if len(slept) != 3 || slept[0] != 500*time.Millisecond || slept[1] != time.Second || slept[2] != time.Second {
		t.Fatalf("slept %v, want 500ms then 1s, 1s", slept)
	}
	out := errOut.String()
	for _, want := range []string{"frees up in 3s", "frees up in 2s", "frees up in 1s"} {
		if !strings.Contains(out, want) {
			t.Errorf("countdown %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, clearLine) {
		t.Errorf("countdown does not erase its line: %q", out)
	}
}

func TestCountdownPipedIsOneLineAndOneWait(t *testing.T) {
	var errOut bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &errOut)
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	if err := s.Countdown(context.Background(), "waiting", 61*time.Second, sleep); err != nil {
		t.Fatal(err)
	}
	if errOut.String() != "waiting 1m01s\n" || len(slept) != 1 || slept[0] != 61*time.Second {
		t.Fatalf("piped countdown wrote %q and slept %v", errOut.String(), slept)
	}
}

func TestBusyDrawsNothingWhenPiped(t *testing.T) {
	var errOut bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &errOut)
	done := s.Busy()
	time.Sleep(2 * SpinnerDelay)
	done()
	if errOut.Len() != 0 {
		t.Fatalf("spinner drew on a pipe: %q", errOut.String())
	}
}

func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var piped bytes.Buffer
	p := Test(nil, &bytes.Buffer{}, &piped).NewProgress("ping", 4)
	p.Set(2, "")
	p.Finish()
	if piped.Len() != 0 {
		t.Fatalf("progress drew on a pipe: %q", piped.String())
	}
	var tty bytes.Buffer
	s := Test(nil, &bytes.Buffer{}, &tty)
	s.SetTTY(false, false, true)
	s.Env = noColor
	p = s.NewProgress("ping", 4)
	p.Set(2, "")
	p.Finish()
	if !strings.Contains(tty.String(), "ping "+Bar(2, 4, 30)+" 2/4") {
		t.Fatalf("progress = %q", tty.String())
	}
}

func TestPrettyJSONIndentsAndColoursOnlyWhenEnabled(t *testing.T) {
	plain, ok := PrettyJSON(NewColorScheme(&bytes.Buffer{}, false, "", ""), []byte(`{"a":[1,true,"x"]}`))
	if !ok || string(plain) != "{\n  \"a\": [\n    1,\n    true,\n    \"x\"\n  ]\n}\n" {
		t.Fatalf("plain = %q", plain)
	}
	coloured, _ := PrettyJSON(NewColorScheme(&bytes.Buffer{}, true, "", "xterm"), []byte(`{"a":"b"}`))
	if !bytes.Contains(coloured, []byte("\x1b[")) {
		t.Fatalf("not coloured: %q", coloured)
	}
	if _, ok := PrettyJSON(NewColorScheme(&bytes.Buffer{}, false, "", ""), []byte("not json")); ok {
		t.Fatal("non-JSON accepted")
	}
}

func noColor(k string) (string, bool) {
	if k == "NO_COLOR" {
		return "1", true
	}
	return "", false
}
