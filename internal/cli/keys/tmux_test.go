package keys_test

import (
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestMain lets the test binary act as zupy for the terminal script
// (internal/zupytest).
func TestMain(m *testing.M) { zupytest.Main(m) }

// TestTerminalCreateCardAndRevokeConfirm runs scripts/tmux-keys.sh with this
// test binary as zupy: on a real terminal under tmux, `keys create` draws the
// card with the secret and the warning, and `keys revoke` asks before
// revoking ("n" keeps the key, "y" revokes it).
func TestTerminalCreateCardAndRevokeConfirm(t *testing.T) {
	clitest.TerminalScript(t, "tmux-keys.sh", zupytest.Path(t), 60*time.Second)
}

// TestTerminalUsageChart runs scripts/tmux-keys-usage.sh: on a real
// terminal at 80 and 120 columns, `keys usage` draws the chart within the
// width, with the limit line and the 2xx/4xx/429 split, says the peak
// minute against the limit, and --watch redraws in place until Ctrl-C.
func TestTerminalUsageChart(t *testing.T) {
	clitest.TerminalScript(t, "tmux-keys-usage.sh", zupytest.Path(t), 60*time.Second)
}
