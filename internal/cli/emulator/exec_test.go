package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestTailBufferKeepsTheLastLines(t *testing.T) {
	b := newTailBuffer(3)
	for i := range 10 {
		fmt.Fprintf(b, "line %d\n", i)
	}
	b.Write([]byte("partial"))
	got := b.Last(3)
	want := []string{"line 8", "line 9", "partial"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Last(3) = %q, want %q", got, want)
	}
	if got := b.Last(10); len(got) != 4 || got[0] != "line 7" {
		t.Fatalf("Last(10) = %q: want the 3 kept lines and the partial one", got)
	}
}

func TestEmulatorFailureShowsTheLogsLastLines(t *testing.T) {
	logs := newTailBuffer(200)
	for i := range 30 {
		fmt.Fprintf(logs, "time=x level=INFO msg=request n=%d\n", i)
	}
	var out bytes.Buffer
	err := emulatorFailed(&out, errors.New("the emulator stopped serving"), logs)
	if !strings.Contains(err.Error(), "emulator failed: the emulator stopped serving") {
		t.Fatalf("error %q", err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "The emulator's log ended with:\n") || !strings.Contains(text, "n=29\n") ||
		strings.Contains(text, "n=9\n") || strings.Count(text, "\n") != execLogLinesOnFail+1 {
		t.Fatalf("shown:\n%s", text)
	}
}

func TestWithoutVarsDropsOnlyTheNamedVariables(t *testing.T) {
	got := withoutVars([]string{"A=1", "ZUPY_API_KEY=x", "ZUPY_API_KEY_FILE=y", "B=2=3"}, "ZUPY_API_KEY")
	if strings.Join(got, " ") != "A=1 ZUPY_API_KEY_FILE=y B=2=3" {
		t.Fatalf("got %q", got)
	}
}
