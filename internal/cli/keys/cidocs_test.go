package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestCIRecipesAreTheTestedCommands checks that every line of the recipe
// scripts run by ci_github.txtar and ci_gitlab.txtar appears, as written, in
// docs/ci.md, so the documented recipes are the ones the suite runs.
func TestCIRecipesAreTheTestedCommands(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	docLines := map[string]bool{}
	for _, l := range strings.Split(string(doc), "\n") {
		docLines[strings.TrimSpace(l)] = true
	}
	scripts, err := filepath.Glob(filepath.Join("..", "root", "testdata", "script", "ci", "ci_*.txtar"))
	if err != nil || len(scripts) < 2 {
		t.Fatalf("ci scripts: %v, %v", scripts, err)
	}
	recipes := 0
	for _, path := range scripts {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, "-create.sh") && !strings.HasSuffix(f.Name, "-rotate.sh") {
				continue
			}
			recipes++
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if !docLines[strings.TrimSpace(l)] {
					t.Errorf("%s: %s: line not in docs/ci.md:\n%s", filepath.Base(path), f.Name, l)
				}
			}
		}
	}
	if recipes != 4 {
		t.Errorf("found %d recipe scripts, want 4 (create and rotate for GitHub and GitLab)", recipes)
	}
}
