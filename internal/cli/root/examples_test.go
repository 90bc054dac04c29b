package root_test

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/docrun"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestHelpExamplesRun runs every example of every help page, as pasted by
// a reader, against a fresh emulator (internal/docrun): each line must
// exit 0. Lines marked "# on a terminal", "# until Ctrl-C" or "# your
// tests" are shown but not run.
func TestHelpExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example against an emulator; skipped with -short")
	}
	zupy := zupytest.Path(t)
	f, _, _ := clitest.Factory(nil, "")
	ran := 0
	walk(root.New(f), func(c *cobra.Command) {
		if c.Example == "" {
			return
		}
		b := docrun.ParseExample(c.CommandPath()+" --help", c.Example)
		t.Run(c.CommandPath(), func(t *testing.T) {
			t.Parallel() // each command's examples have their own sandbox and emulator
			for _, s := range b.Shown() {
				t.Logf("not run: %s", s)
			}
			if err := docrun.NewExamples(t, zupy).Run(context.Background(), b); err != nil {
				t.Error(err)
			}
		})
		ran += len(b.Run())
	})
	if ran < 20 {
		t.Errorf("only %d example lines ran", ran)
	}
}
