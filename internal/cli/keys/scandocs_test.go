package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestScanHookIsTheTestedOne checks that the pre-commit hook scan_git.txtar
// installs and commits through appears, line for line, in docs/scan.md.
func TestScanHookIsTheTestedOne(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "scan.md"))
	if err != nil {
		t.Fatal(err)
	}
	ar, err := txtar.ParseFile(filepath.Join("..", "root", "testdata", "script", "keys", "scan_git.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var hook string
	for _, f := range ar.Files {
		if f.Name == "pre-commit" {
			hook = string(f.Data)
		}
	}
	if hook == "" {
		t.Fatal("scan_git.txtar has no pre-commit file")
	}
	if !strings.Contains(string(doc), "```sh\n"+hook+"```\n") {
		t.Errorf("docs/scan.md does not show the tested hook as a block:\n%s", hook)
	}
}
