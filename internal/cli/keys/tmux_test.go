package keys

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTerminalCreateCardAndRevokeConfirm runs scripts/tmux-keys.sh with a
// freshly built zupy: on a real terminal under tmux, `keys create` draws the
// card with the secret and the warning, and `keys revoke` asks before
// revoking ("n" keeps the key, "y" revokes it).
func TestTerminalCreateCardAndRevokeConfirm(t *testing.T) {
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
	cmd := exec.Command(bash, filepath.Join(root, "scripts", "tmux-keys.sh"), bin)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("scripts/tmux-keys.sh: %v", err)
	}
}
