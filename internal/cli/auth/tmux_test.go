package auth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTerminalLogin runs scripts/tmux-login.sh: `zupy login` on a real
// terminal (a detached tmux session) against an in-memory emulator, typed
// and read back the way a person would (countdown, wrong code, cooldown,
// cursor keys, switch to e-mail, Ctrl-C). `make deps` installs tmux.
func TestTerminalLogin(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not on PATH: the terminal login test needs it (`make deps` installs it)")
	}
	if testing.Short() {
		t.Skip("the terminal login test builds zupy and drives tmux; skipped with -short")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}

	bin := filepath.Join(t.TempDir(), "zupy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/zupy")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	script := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "tmux-login.sh"), bin)
	script.Dir = root
	script.WaitDelay = 5 * time.Second
	out, err := script.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("scripts/tmux-login.sh did not finish within 60s:\n%s", out)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 && bytes.Contains(out, []byte(" is missing")) {
		t.Skipf("scripts/tmux-login.sh is missing a tool:\n%s", out)
	}
	if err != nil {
		t.Fatalf("scripts/tmux-login.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
