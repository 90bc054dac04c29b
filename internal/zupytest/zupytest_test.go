package zupytest

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/clitest"
)

const module = "github.com/zupy/zupy-cli"

// TestZupyBinaryLinksNoTestHooks walks the imports of cmd/zupy (not of its
// tests): neither this package nor clitest is among them, so the hooks a
// re-executed test binary honours (ZUPY_TEST_SLEEP_ON_EMULATOR_CLOCK, the
// file keyring) cannot be switched on in a real zupy.
func TestZupyBinaryLinksNoTestHooks(t *testing.T) {
	repo := clitest.RepoRoot(t)
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if !strings.HasPrefix(path, module) {
			return // an outside package: recorded, not walked
		}
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
	// The OpenAPI validator (internal/openapitest, github.com/pb33f/...) is
	// for tests too: cmd/zupy serves the document but never validates.
	for p := range seen {
		if p == module+"/internal/zupytest" || p == module+"/internal/clitest" ||
			p == module+"/internal/openapitest" || strings.HasPrefix(p, "github.com/pb33f/") {
			t.Errorf("cmd/zupy links %s", p)
		}
	}
	if !seen[module+"/internal/cli/root"] || !seen[module+"/docs"] {
		t.Error("the walk missed internal/cli/root or docs")
	}
}
