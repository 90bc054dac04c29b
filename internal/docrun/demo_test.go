package docrun_test

import (
	"context"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/zupytest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoIsPlainWhenRedirected runs scripts/demo.sh (make demo) with its
// output in a pipe, this test binary standing in for zupy (internal/zupytest): no escape
// sequence reaches the pipe, and every command it shows reads as a user
// would type it, starting with `zupy`, never a path to the binary.
func TestDemoIsPlainWhenRedirected(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo against an emulator; skipped with -short")
	}
	bash := clitest.RequireTool(t, "bash", "bash")
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	zupy := zupytest.Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, filepath.Join(repo, "scripts", "demo.sh"), zupy)
	cmd.Env = append(os.Environ(), zupytest.EnvKeyringFile+"="+filepath.Join(t.TempDir(), "keyring.json"),
		"TMPDIR="+t.TempDir(), "TERM=xterm-256color", "NO_COLOR=")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo.sh: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "\x1b") {
		t.Errorf("the demo wrote escape sequences into a pipe:\n%q", text)
	}
	shown := regexp.MustCompile(`(?m)^\$ .*$`).FindAllString(text, -1)
	if len(shown) < 10 {
		t.Fatalf("the demo showed %d commands:\n%s", len(shown), text)
	}
	typed := regexp.MustCompile(`^\$ (zupy |export ZUPY_API_KEY=\$\(zupy |ZUPY_API_KEY=\$\(zupy )`)
	for _, line := range shown {
		if !typed.MatchString(line) || strings.Contains(line, zupy) {
			t.Errorf("shown not as typed: %q", line)
		}
	}
}
