package docgen

import (
	"bytes"
	"fmt"
	"github.com/zupy/zupy-cli/internal/clitest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesAreFresh fails when docs/cli, docs/man or completions/
// differ from what the current command tree generates: run
// `make docs completions` and commit the result.
func TestGeneratedFilesAreFresh(t *testing.T) {
	tmp := t.TempDir()
	if err := Generate(tmp); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join("..", "..")
	for _, sub := range []string{"docs/cli", "docs/man", "completions"} {
		want := readTree(t, filepath.Join(tmp, sub))
		got := readTree(t, filepath.Join(repo, sub))
		for name, w := range want {
			g, ok := got[name]
			if !ok {
				t.Errorf("%s/%s is missing: run `make docs completions`", sub, name)
				continue
			}
			if !bytes.Equal(g, w) {
				t.Errorf("%s/%s is stale: run `make docs completions`", sub, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s/%s is no longer generated: run `make docs completions`", sub, name)
			}
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

// generated regenerates everything into a temporary directory once per test.
func generated(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	if err := Generate(tmp); err != nil {
		t.Fatal(err)
	}
	return tmp
}

func TestEachManPageIsHeadedWithItsOwnCommand(t *testing.T) {
	dir := filepath.Join(generated(t), "docs/man")
	pages := readTree(t, dir)
	if len(pages) < 10 {
		t.Fatalf("only %d man pages generated", len(pages))
	}
	for name, page := range pages {
		want := fmt.Sprintf(".TH %q \"1\" \"2026-01-01\"", strings.ToUpper(strings.TrimSuffix(name, ".1")))
		if first := strings.SplitN(string(page), "\n", 3)[1]; !strings.HasPrefix(first, want) {
			t.Errorf("%s: header %q; want it to start %s", name, first, want)
		}
	}
	if _, ok := pages["zupy-keys-create.1"]; !ok {
		t.Error("no zupy-keys-create.1")
	}
}

func TestRootManPageHasExitStatusEnvironmentFilesAndSeeAlso(t *testing.T) {
	page, err := os.ReadFile(filepath.Join(generated(t), "docs/man/zupy.1"))
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for _, want := range []string{
		".SH EXIT STATUS\n", "\\fB130\\fP\ninterrupted", ".SH ENVIRONMENT\n", "\\fBZUPY_SESSION_TOKEN\\fP\n",
		".SH FILES\n", "credentials.yaml", ".SH SEE ALSO\n", "\\fBzupy-keys(1)\\fP",
	} {
		i := strings.Index(string(page), want)
		if i < 0 || i < at {
			t.Errorf("zupy.1 lacks %q after what comes before it (EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO in order)", want)
			continue
		}
		at = i
	}
}

// TestManPagesRenderWithoutWarnings renders every page with groff -ww (all
// warnings, as man(1) would render it) and mandoc -T lint at warning level;
// any message fails.
func TestManPagesRenderWithoutWarnings(t *testing.T) {
	groff, mandoc := clitest.RequireTool(t, "groff", "groff-base"), clitest.RequireTool(t, "mandoc", "mandoc")
	dir := filepath.Join(generated(t), "docs/man")
	pages := readTree(t, dir)
	for name := range pages {
		path := filepath.Join(dir, name)
		for _, args := range [][]string{{groff, "-ww", "-man", "-z", path}, {mandoc, "-T", "lint", "-W", "warning", path}} {
			out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s %s: %v\n%s", filepath.Base(args[0]), name, err, out)
			}
		}
	}
}
