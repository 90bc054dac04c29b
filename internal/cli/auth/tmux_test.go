package auth_test

import (
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestMain lets the test binary act as zupy for the terminal script
// (internal/zupytest).
func TestMain(m *testing.M) { zupytest.Main(m) }

// TestTerminalLogin runs scripts/tmux-login.sh: `zupy login` on a real
// terminal (a detached tmux session) against an in-memory emulator, typed
// and read back the way a person would (countdown, wrong code, cooldown,
// cursor keys, switch to e-mail, Ctrl-C). `make deps` installs tmux.
func TestTerminalLogin(t *testing.T) {
	clitest.TerminalScript(t, "tmux-login.sh", zupytest.Path(t), 60*time.Second)
}
