package zupytest

import (
	"go/build"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/zupy/zupy-cli"

// TestZupyBinaryLinksNoTestHooks walks the imports of cmd/zupy (not of its
// tests): neither this package nor clitest is among them, so the hooks a
// re-executed test binary honours (ZUPY_TEST_SLEEP_ON_EMULATOR_CLOCK, the
// file keyring) cannot be switched on in a real zupy.
func TestZupyBinaryLinksNoTestHooks(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] || !strings.HasPrefix(path, module) {
			return
		}
		seen[path] = true
		// ImportDir reads the files' imports; it runs no go command.
		pkg, err := build.Default.ImportDir(filepath.Join(repo, strings.TrimPrefix(path, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp)
		}
	}
	walk(module + "/cmd/zupy")
	if len(seen) < 10 {
		t.Fatalf("walked only %d packages of cmd/zupy", len(seen))
	}
	for _, hook := range []string{module + "/internal/zupytest", module + "/internal/clitest"} {
		if seen[hook] {
			t.Errorf("cmd/zupy links %s", hook)
		}
	}
	if !seen[module+"/internal/cli/root"] {
		t.Error("the walk missed internal/cli/root")
	}
}
