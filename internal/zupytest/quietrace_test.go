package zupytest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestQuietRaceExitAddsTheOptionAndKeepsTheCallers: QuietRaceExit adds
// atexit_sleep_ms=0 to the GORACE options it finds, and leaves a GORACE
// that already says how long to sleep as it is.
func TestQuietRaceExitAddsTheOptionAndKeepsTheCallers(t *testing.T) {
	for _, tc := range []struct{ before, after string }{
		{"", "atexit_sleep_ms=0"},
		{"halt_on_error=1", "halt_on_error=1 atexit_sleep_ms=0"},
		{"atexit_sleep_ms=250", "atexit_sleep_ms=250"},
		{"log_path=/tmp/race atexit_sleep_ms=1000", "log_path=/tmp/race atexit_sleep_ms=1000"},
	} {
		t.Setenv("GORACE", tc.before)
		QuietRaceExit()
		if got := os.Getenv("GORACE"); got != tc.after {
			t.Errorf("GORACE %q: QuietRaceExit made it %q; want %q", tc.before, got, tc.after)
		}
	}
}

// TestChildrenInheritTheQuietRaceExit: Main set GORACE in this process, so
// a program it starts the way the terminal and demo tests start theirs
// (this environment, or os.Environ plus their own) sees atexit_sleep_ms=0,
// unless the caller's GORACE (make test exports one) already sets it.
func TestChildrenInheritTheQuietRaceExit(t *testing.T) {
	env, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1) to print a child's environment")
	}
	out, err := exec.Command(env).Output()
	if err != nil {
		t.Fatalf("env: %v", err)
	}
	var gorace string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "GORACE="); ok {
			gorace = v
		}
	}
	if !strings.Contains(gorace, "atexit_sleep_ms=") {
		t.Errorf("a child's GORACE = %q; want atexit_sleep_ms set (QuietRaceExit)", gorace)
	}
}
