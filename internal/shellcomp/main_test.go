package shellcomp_test

import (
	"os"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/shellcomp"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestMain makes the test binary play the demo program (for the bash
// completion tests) or zupy (for the terminal script), as asked.
func TestMain(m *testing.M) {
	if os.Getenv(shellcomp.ActAsProgram) == "1" {
		cmd := shellcomp.DemoRoot()
		cmd.SetArgs(os.Args[1:])
		if err := cmd.Execute(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	zupytest.Main(m)
}

// TestCompletionInRealShells runs scripts/tmux-completion.sh with this test
// binary as zupy: bash (with bash-completion), zsh and fish, typed into
// under tmux, complete subcommands, --scopes before and after a comma, and
// live key ids from the emulator. A missing tool skips it outside CI and
// fails it in CI (make deps installs tmux, bash-completion, zsh and fish).
func TestCompletionInRealShells(t *testing.T) {
	clitest.TerminalScript(t, "tmux-completion.sh", zupytest.Path(t), 3*time.Minute)
}
