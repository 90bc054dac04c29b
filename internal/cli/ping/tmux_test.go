package ping_test

import (
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestMain lets the test binary act as zupy for the terminal script
// (internal/zupytest).
func TestMain(m *testing.M) { zupytest.Main(m) }

// TestTerminalProgressUsageBarAndCountdown runs scripts/tmux-ping.sh with
// this test binary as zupy: on a real terminal under tmux, ping draws the
// usage bar, --count a progress bar that advances and is erased, and --wait
// a countdown that ticks and is erased on Ctrl-C.
func TestTerminalProgressUsageBarAndCountdown(t *testing.T) {
	clitest.TerminalScript(t, "tmux-ping.sh", zupytest.Path(t), 2*time.Minute)
}
