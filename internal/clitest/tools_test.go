package clitest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellRequireToolFailsInCIAndExits2Elsewhere runs scripts/lib/
// require-tool.sh, the shell side of RequireTool, for a tool that is not
// there: exit 1 in CI, 2 (a skip for the Go test that runs the script)
// elsewhere, both naming the Debian package; the CI rule is ui.InCI's.
func TestShellRequireToolFailsInCIAndExits2Elsewhere(t *testing.T) {
	bash := RequireTool(t, "bash", "bash")
	lib := filepath.Join(RepoRoot(t), "scripts", "lib", "require-tool.sh")
	for _, c := range []struct {
		env  []string
		exit int
	}{
		{[]string{"CI=true"}, 1},
		{[]string{"CI=1"}, 1},
		{[]string{"CI=false"}, 2},
		{[]string{"CI=0"}, 2},
		{nil, 2},
		{[]string{"CI=true", "ZUPY_TEST_IN_CI=0"}, 2},
		{[]string{"ZUPY_TEST_IN_CI=1"}, 1},
	} {
		cmd := exec.Command(bash, "-c", `source "$1"; require_tool no-such-tool-zupy some-deb; echo found`, "x", lib)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, c.env...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != c.exit {
			t.Errorf("%q: %v; want exit %d\n%s", c.env, err, c.exit, out)
		}
		if !strings.Contains(string(out), "no-such-tool-zupy is missing: install the Debian package some-deb") {
			t.Errorf("%q: output does not name the tool and package:\n%s", c.env, out)
		}
	}
}
