package docgen

import (
	"bytes"
	"os"
	"path/filepath"
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
