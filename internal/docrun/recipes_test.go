package docrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// The guides whose recipes the script suite runs (internal/cli/root/
// testdata/script) rather than TestGuides: a check here keeps the recipe a
// guide shows the one a script tests, read through the same Parse.

func parseDoc(t *testing.T, name string) []Block {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Parse(md)
	if err != nil {
		t.Fatalf("docs/%s: %v", name, err)
	}
	return blocks
}

func scriptFiles(t *testing.T, script string) []txtar.File {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("..", "cli", "root", "testdata", "script", script))
	if err != nil {
		t.Fatal(err)
	}
	return ar.Files
}

// TestScanHookIsTheTestedOne checks that the pre-commit hook scan_git.txtar
// installs and commits through is a ```sh block of docs/scan.md, as is.
func TestScanHookIsTheTestedOne(t *testing.T) {
	var hook string
	for _, f := range scriptFiles(t, "keys/scan_git.txtar") {
		if f.Name == "pre-commit" {
			hook = string(f.Data)
		}
	}
	if hook == "" {
		t.Fatal("scan_git.txtar has no pre-commit file")
	}
	for _, b := range parseDoc(t, "scan.md") {
		if b.Lang == "sh" && b.Body == hook {
			return
		}
	}
	t.Errorf("docs/scan.md does not show the tested hook as a ```sh block:\n%s", hook)
}

// TestCIRecipesAreTheTestedCommands checks that every line of the recipe
// scripts run by ci_github.txtar, ci_gitlab.txtar and ci_github_runbook.txtar appears, as written, in
// a block of docs/ci.md, so the documented recipes are the ones the suite
// runs.
func TestCIRecipesAreTheTestedCommands(t *testing.T) {
	shown := map[string]bool{}
	for _, b := range parseDoc(t, "ci.md") {
		for _, l := range strings.Split(b.Body, "\n") {
			shown[strings.TrimSpace(l)] = true
		}
	}
	recipes := 0
	for _, script := range []string{"ci/ci_github.txtar", "ci/ci_gitlab.txtar", "ci/ci_github_runbook.txtar"} {
		for _, f := range scriptFiles(t, script) {
			if !strings.HasSuffix(f.Name, "-create.sh") && !strings.HasSuffix(f.Name, "-rotate.sh") {
				continue
			}
			recipes++
			for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				if !shown[strings.TrimSpace(l)] {
					t.Errorf("%s: %s: line not in a block of docs/ci.md:\n%s", script, f.Name, l)
				}
			}
		}
	}
	if recipes != 5 {
		t.Errorf("found %d recipe scripts, want 5 (create and rotate for GitHub and GitLab, and GitHub's rotate and watch)", recipes)
	}
}
