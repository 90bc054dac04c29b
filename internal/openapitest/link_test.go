package openapitest

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestZupyDoesNotLinkTheValidator: the middleware and its validator are for
// tests; cmd/zupy (which serves the document, docs.OpenAPIYAML, but never
// validates against it) must not import them.
func TestZupyDoesNotLinkTheValidator(t *testing.T) {
	const module = "github.com/zupy/zupy-cli"
	repo := filepath.Join("..", "..")
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
	if !seen[module+"/internal/emulator"] || !seen[module+"/docs"] {
		t.Fatal("the walk missed internal/emulator or docs: it is broken")
	}
	for p := range seen {
		if p == module+"/internal/openapitest" || strings.HasPrefix(p, "github.com/pb33f/") {
			t.Errorf("cmd/zupy imports %s", p)
		}
	}
}
