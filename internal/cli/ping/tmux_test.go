package ping

import (
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/clitest"
)

// TestTerminalProgressUsageBarAndCountdown runs scripts/tmux-ping.sh with a
// freshly built zupy: on a real terminal under tmux, ping draws the usage
// bar, --count a progress bar that advances and is erased, and --wait a
// countdown that ticks and is erased on Ctrl-C.
func TestTerminalProgressUsageBarAndCountdown(t *testing.T) {
	clitest.TerminalScript(t, "tmux-ping.sh", 2*time.Minute)
}
