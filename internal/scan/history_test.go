package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// historyRepo is a repository in which one commit added a key to three
// files at once, one of them already holding an older key.
func historyRepo(t *testing.T) (dir, first, second string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir = tree(t, map[string]string{"z.txt": "KEY=" + live20 + "\n"})
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "one")
	first = git(t, dir, "rev-parse", "HEAD")
	for name, content := range map[string]string{
		"pdv.py":       "key = \"" + test20 + "\"\n",
		".env.example": "ZUPY_API_KEY=" + test20 + "\n",
		"b.txt":        "old " + live20 + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "two")
	return dir, first, git(t, dir, "rev-parse", "HEAD")
}

type place struct {
	path      string
	line, col int
	commit    string
}

func places(fs []Finding) []place {
	var out []place
	for _, f := range fs {
		out = append(out, place{f.Path, f.Line, f.Column, f.Commit})
	}
	return out
}

// Each secret is reported once, at the same place on every run whatever the
// number of workers: the first commit that holds it (live20 in z.txt of the
// first commit, though b.txt sorts before z.txt), then the first path in
// byte order (.env.example before pdv.py, both added by the second commit).
func TestScanHistoryReportsEachSecretAtTheSamePlaceEveryRun(t *testing.T) {
	dir, first, second := historyRepo(t)
	want := []place{{".env.example", 1, 14, second}, {"z.txt", 1, 5, first}}
	for workers := 1; workers <= 4; workers++ {
		for range 3 {
			fs, _, err := ScanHistory(context.Background(), dir, Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if got := places(fs); !slices.Equal(got, want) {
				t.Fatalf("%d workers: %+v, want %+v", workers, got, want)
			}
		}
	}
}

// The choice does not depend on the order the parallel readers delivered
// the blobs in: forwards or backwards, the same findings.
func TestFirstSeenIgnoresTheOrderOfHits(t *testing.T) {
	dir, _, _ := historyRepo(t)
	ctx := context.Background()
	blobs, _, _, err := listBlobs(ctx, dir, excluder{})
	if err != nil {
		t.Fatal(err)
	}
	hits, _, err := readBlobs(ctx, dir, blobs, 1)
	if err != nil {
		t.Fatal(err)
	}
	forwards, err := firstSeen(ctx, dir, hits)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(hits)
	backwards, err := firstSeen(ctx, dir, hits)
	if err != nil {
		t.Fatal(err)
	}
	Sort(forwards)
	Sort(backwards)
	if !slices.Equal(places(forwards), places(backwards)) {
		t.Errorf("forwards %+v, backwards %+v", places(forwards), places(backwards))
	}
}

// A history scan walks the reflogs too: a stash entry older than the newest
// and a commit amended away are read.
func TestScanHistoryWalksReflogs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := tree(t, map[string]string{"a.txt": "hello\n"})
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "one")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.txt", live20+"\n")
	git(t, dir, "stash", "-q")
	write("a.txt", live64+"\n")
	git(t, dir, "stash", "-q")
	write("b.txt", test20+"\n")
	git(t, dir, "add", "b.txt")
	git(t, dir, "commit", "-qm", "leak")
	write("b.txt", "clean\n")
	git(t, dir, "add", "b.txt")
	git(t, dir, "commit", "-q", "--amend", "-m", "clean")
	fs, _, err := ScanHistory(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Secret.Reveal())
	}
	for _, s := range []string{live20, live64, test20} {
		if !slices.Contains(got, s) {
			t.Errorf("%s (only a reflog names it) not found", NewSecret(s))
		}
	}
}
