package docrun_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The repository explains itself (docs/architecture.md): a comment, a
// script or a guide cites only what the repository holds. The product's
// specification is not in it, so a citation of it would send a reader to a
// document they do not have.
var (
	// The specification's name, built so that this file does not cite it.
	specCitation = regexp.MustCompile(`\b` + "SP" + "EC" + `\b`)
	// A repository document, with an optional heading anchor; not a path
	// that merely ends in docs/… (a fixture such as tree/docs/example.md,
	// or a quoted file name in a test's table).
	docCitation = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./"-])docs/([A-Za-z0-9_./-]+\.md)(#[A-Za-z0-9_-]+)?`)
)

// citedFiles are the files whose text may cite a document: code, scripts,
// guides, the Makefile and configuration.
func citedFiles(t *testing.T, repo string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "dist", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".txtar", ".sh", ".yaml", ".yml":
			files = append(files, path)
		default:
			if d.Name() == "Makefile" {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCitationsNameWhatTheRepositoryHolds fails on a citation of the
// specification, and on a docs/… citation whose file or heading anchor
// the repository lacks.
func TestCitationsNameWhatTheRepositoryHolds(t *testing.T) {
	repo := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(repo, "go.mod")); err != nil {
		t.Skip("not run from the source tree")
	}
	docs := map[string]string{}
	for _, path := range citedFiles(t, repo) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repo, path)
		for i, line := range strings.Split(string(data), "\n") {
			if specCitation.MatchString(line) {
				t.Errorf("%s:%d cites a document the repository does not hold: %s", rel, i+1, strings.TrimSpace(line))
			}
			for _, m := range docCitation.FindAllStringSubmatch(line, -1) {
				file, anchor := m[1], strings.TrimPrefix(m[2], "#")
				doc, ok := docs[file]
				if !ok {
					b, err := os.ReadFile(filepath.Join(repo, "docs", file))
					if err != nil {
						t.Errorf("%s:%d cites docs/%s, which the repository lacks", rel, i+1, file)
						docs[file] = ""
						continue
					}
					doc = string(b)
					docs[file] = doc
				}
				if anchor != "" && doc != "" && !hasAnchor(doc, anchor) {
					t.Errorf("%s:%d cites docs/%s#%s: no heading has that anchor", rel, i+1, file, anchor)
				}
			}
		}
	}
}
