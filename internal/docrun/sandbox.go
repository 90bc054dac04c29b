package docrun

import (
	"os"
	"path/filepath"
	"testing"
)

// Sandbox is where documented commands run, guides and help examples alike:
// a fresh directory as HOME (and working directory), the zupy under test
// first on PATH, a JSON file as the OS keyring (ZUPY_TEST_KEYRING_FILE, read
// by a test binary acting as zupy, see internal/zupytest), and no way off the
// machine: a request for anything but loopback goes to a proxy address where
// nothing listens (and no name is looked up), so a command that forgot its
// base URL fails at once.
type Sandbox struct {
	Dir string   // HOME
	Env []string // the whole environment of each command
}

// NewSandbox makes a sandbox for zupy, the path of a program named zupy.
func NewSandbox(t testing.TB, zupy string) *Sandbox {
	t.Helper()
	home := t.TempDir()
	return &Sandbox{Dir: home, Env: []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(zupy) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost",
		"ZUPY_TEST_KEYRING_FILE=" + filepath.Join(home, ".keyring.json"),
		// The race detector's options of the test (zupytest.QuietRaceExit
		// sets them so that a -race zupy does not sleep a second at exit).
		"GORACE=" + os.Getenv("GORACE"),
	}}
}
