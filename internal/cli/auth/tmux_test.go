package auth_test

import (
	"time"

	"testing"

	"github.com/zupy/zupy-cli/internal/clitest"
)

// TestTerminalLogin runs scripts/tmux-login.sh: `zupy login` on a real
// terminal (a detached tmux session) against an in-memory emulator, typed
// and read back the way a person would (countdown, wrong code, cooldown,
// cursor keys, switch to e-mail, Ctrl-C). `make deps` installs tmux.
func TestTerminalLogin(t *testing.T) {
	clitest.TerminalScript(t, "tmux-login.sh", 60*time.Second)
}
