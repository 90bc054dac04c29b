package keys

import (
	"time"

	"testing"

	"github.com/zupy/zupy-cli/internal/clitest"
)

// TestTerminalCreateCardAndRevokeConfirm runs scripts/tmux-keys.sh with a
// freshly built zupy: on a real terminal under tmux, `keys create` draws the
// card with the secret and the warning, and `keys revoke` asks before
// revoking ("n" keeps the key, "y" revokes it).
func TestTerminalCreateCardAndRevokeConfirm(t *testing.T) {
	clitest.TerminalScript(t, "tmux-keys.sh", 60*time.Second)
}
