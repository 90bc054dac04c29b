package ping

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestTerminalProgressUsageBarAndCountdown runs scripts/tmux-ping.sh with a
// freshly built zupy: on a real terminal under tmux, ping draws the usage
// bar, --count a progress bar that advances and is erased, and --wait a
// countdown that ticks and is erased on Ctrl-C.
func TestTerminalProgressUsageBarAndCountdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds zupy and drives tmux; skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (make deps installs it)")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "zupy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/zupy")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, filepath.Join(root, "scripts", "tmux-ping.sh"), bin)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("scripts/tmux-ping.sh: %v", err)
	}
}
