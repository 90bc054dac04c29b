package examplerun

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParseJoinsContinuationsAndLeavesOutWhatDoesNotRun(t *testing.T) {
	b := Parse("x --help", `  # a comment
  zupy login                 # on a terminal
  zupy keys create --name A \
      --scopes loyalty:read
  zupy emulator otp |
      zupy login --code-stdin

  zupy emulator start        # until Ctrl-C`)
	want := []string{"zupy keys create --name A --scopes loyalty:read", "zupy emulator otp | zupy login --code-stdin"}
	if !slices.Equal(b.Lines, want) {
		t.Errorf("Lines = %q, want %q", b.Lines, want)
	}
	if len(b.Skipped) != 2 || !strings.Contains(b.Skipped[0], "on a terminal") || !strings.Contains(b.Skipped[1], "until Ctrl-C") {
		t.Errorf("Skipped = %q", b.Skipped)
	}
}

// TestRunStopsAtTheFirstFailingLine: the error names the block, the line
// and its exit status; the lines after it do not run; an export carries
// from one line to the next.
func TestRunStopsAtTheFirstFailingLine(t *testing.T) {
	s := New(t, "/bin/true")
	err := s.Run(context.Background(), Block{Source: "demo", Lines: []string{"export A=1", `test "$A" = 1`, "sh -c 'exit 3'", "echo never"}})
	if err == nil {
		t.Fatal("a block with a failing line ran clean")
	}
	msg := err.Error()
	if !strings.Contains(msg, "demo:") || !strings.Contains(msg, "line 3 exited 3") || strings.Contains(msg, "$ echo never") {
		t.Errorf("error = %s", msg)
	}
	if err := s.Run(context.Background(), Block{Source: "ok", Lines: []string{"export A=1", `test "$A" = 1`}}); err != nil {
		t.Errorf("a clean block failed: %v", err)
	}
}
