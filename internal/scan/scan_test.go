package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/zupy/zupy-cli/internal/clitest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func hits(t *testing.T, text string, bufSize int) []hit {
	t.Helper()
	var out []hit
	_, binary, err := scanStream(strings.NewReader(text), make([]byte, bufSize), true, func(h hit) { out = append(out, h) })
	if err != nil || binary {
		t.Fatalf("scanStream: binary=%v err=%v", binary, err)
	}
	return out
}

func TestScanStreamReportsLineAndColumn(t *testing.T) {
	text := "first line\n" +
		"  ação = \"" + live20 + "\"\n" + // column counts characters, not bytes
		"\n" +
		"x " + session + " y " + test20 + "\n" +
		"last " + live64 // no final newline
	want := []hit{
		{2, 11, LiveKey, live20},
		{4, 3, SessionToken, session},
		{4, 3 + len(session) + 3, TestKey, test20},
		{5, 6, LiveKey, live64},
	}
	for _, size := range []int{chunkSize, 16, 64} { // small buffers split lines and grow
		if got := hits(t, text, size); !slices.Equal(got, want) {
			t.Errorf("buffer %d: got %+v, want %+v", size, got, want)
		}
	}
}

func TestScanStreamCountsLinesAcrossChunks(t *testing.T) {
	var b strings.Builder
	for range 10000 {
		b.WriteString("filler line with zup_ and zup_live_sk_ that are not secrets\n")
	}
	b.WriteString("KEY=" + live20 + "\n")
	got := hits(t, b.String(), 4096)
	want := []hit{{10001, 5, LiveKey, live20}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestScanStreamSkipsAllowedLines(t *testing.T) {
	text := "a " + live20 + " # zupy:allow\n" +
		"// zupy:allow\n" +
		"b " + test20 + "\n" +
		session + " zupy:allow " + live20 + "\n"
	got := hits(t, text, chunkSize)
	want := []hit{{3, 3, TestKey, test20}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestScanStreamSkipsBinary(t *testing.T) {
	data := append([]byte("PNG\x00\x01"), []byte("\n"+live20+"\n")...)
	_, binary, err := scanStream(bytes.NewReader(data), make([]byte, chunkSize), true, func(h hit) {
		t.Errorf("reported %+v in a binary file", h)
	})
	if err != nil || !binary {
		t.Fatalf("binary=%v err=%v, want binary", binary, err)
	}
	// Standard input is read as text even with a NUL byte.
	fs, _, err := ScanReader(bytes.NewReader(data), "-")
	if err != nil || len(fs) != 1 || fs[0].Path != "-" || fs[0].Line != 2 {
		t.Fatalf("ScanReader = %+v, %v", fs, err)
	}
}

func TestSecretNeverFormatsWhole(t *testing.T) {
	f := Finding{Path: "a", Line: 1, Column: 1, Kind: LiveKey, Secret: NewSecret(live20)}
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{f.Secret.String(), string(js), f.Secret.GoString(), sprintAll(f)} {
		if strings.Contains(s, live20) {
			t.Fatalf("secret shown whole in %q", s)
		}
	}
	if want := "zup_live_sk_…" + live20[len(live20)-4:]; f.Secret.String() != want {
		t.Fatalf("String() = %q, want %q", f.Secret.String(), want)
	}
	if f.Secret.Reveal() != live20 {
		t.Fatal("Reveal lost the secret")
	}
}

func sprintAll(f Finding) string {
	var b bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		b.WriteString(strings.TrimSpace(fmt.Sprintf(verb, f)))
	}
	return b.String()
}

// tree writes files (path → content) under a new temporary folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sampleTree has one secret per file; only some files should be read.
func sampleTree(t *testing.T) string {
	dir := tree(t, map[string]string{
		".gitignore":               "ignored.env\nbuild/\n*.log\n!keep.log\n",
		"app/config.yaml":          "key: " + live20 + "\n",
		"app/.gitignore":           "local/\n",
		"app/local/secret.txt":     live20 + "\n",
		"ignored.env":              "KEY=" + live20 + "\n",
		"build/out.txt":            live20 + "\n",
		"debug.log":                live20 + "\n",
		"keep.log":                 "s=" + session + "\n",
		"fixtures/sample.txt":      test20 + "\n",
		"image.png":                "\x89PNG\x00\x00" + live20,
		"docs/allowed.md":          live20 + " <!-- zupy:allow -->\n",
		"deep/er/still/there.conf": "x=" + test20,
	})
	big := bytes.Repeat([]byte("a\n"), MaxFileSize/2+1)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), append(big, live20...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "app", "config.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func paths(fs []Finding, root string) []string {
	var out []string
	for _, f := range fs {
		rel, _ := filepath.Rel(root, f.Path)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func checkSampleScan(t *testing.T, dir string) {
	t.Helper()
	fs, st, err := ScanPaths(context.Background(), []string{dir}, Options{Exclude: []string{"fixtures/"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app/config.yaml", "deep/er/still/there.conf", "keep.log"}
	if got := paths(fs, dir); !slices.Equal(got, want) {
		t.Errorf("found in %v, want %v", got, want)
	}
	if st.Binary != 1 || st.Large != 1 {
		t.Errorf("stats %+v: want 1 binary and 1 large file skipped", st)
	}
	// Naming a file reads it even when ignored; --exclude still applies.
	fs, _, err = ScanPaths(context.Background(), []string{filepath.Join(dir, "ignored.env"), filepath.Join(dir, "fixtures", "sample.txt")}, Options{Exclude: []string{"*.txt"}})
	if err != nil || len(fs) != 1 || fs[0].Line != 1 || fs[0].Column != 5 {
		t.Errorf("named files: %+v, %v", fs, err)
	}
}

func TestScanPathsHonoursGitignoreOutsideGit(t *testing.T) {
	checkSampleScan(t, sampleTree(t))
}

func TestScanPathsAsksGitInsideAWorkTree(t *testing.T) {
	clitest.RequireTool(t, "git", "git")
	dir := sampleTree(t)
	git(t, dir, "init", "-q")
	// A file git tracks is read even though a .gitignore matches it now,
	// as git itself sees it; .git/info/exclude is honoured.
	git(t, dir, "add", "-f", "build/out.txt")
	if err := os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("deep/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, _, err := ScanPaths(context.Background(), []string{dir}, Options{Exclude: []string{"fixtures"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app/config.yaml", "build/out.txt", "keep.log"}
	if got := paths(fs, dir); !slices.Equal(got, want) {
		t.Errorf("found in %v, want %v", got, want)
	}
}

func TestScanPathsReadsAFileOnce(t *testing.T) {
	dir := tree(t, map[string]string{"a/b.txt": live20 + "\n"})
	fs, st, err := ScanPaths(context.Background(), []string{dir, filepath.Join(dir, "a"), filepath.Join(dir, "a", "b.txt")}, Options{})
	if err != nil || len(fs) != 1 || st.Files != 1 {
		t.Fatalf("findings %+v, stats %+v, %v: want the file read once", fs, st, err)
	}
}

func TestScanPathsMissingPath(t *testing.T) {
	_, _, err := ScanPaths(context.Background(), []string{filepath.Join(t.TempDir(), "nope")}, Options{})
	if !os.IsNotExist(err) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestValidateExclude(t *testing.T) {
	for _, ok := range []string{"*.txt", "testdata/", "internal/**/fixtures", "!x"} {
		if err := ValidateExclude(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", "[a-"} {
		if err := ValidateExclude(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestScanHistoryReportsFirstCommitOfDeletedSecret(t *testing.T) {
	clitest.RequireTool(t, "git", "git")
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README", "hello\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "one")
	write("config.env", "A=1\nKEY="+live20+"\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "add key")
	first := git(t, dir, "rev-parse", "HEAD")
	write("config.env", "B=2\nA=1\nKEY="+live20+"\n") // a second blob with it
	write("fixture.txt", test20+" zupy:allow\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "move it")
	git(t, dir, "rm", "-q", "config.env")
	git(t, dir, "commit", "-qm", "remove key")

	fs, st, err := ScanHistory(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("findings %+v, want the key once", fs)
	}
	f := fs[0]
	if f.Commit != first || f.Path != "config.env" || f.Line != 2 || f.Column != 5 || f.Kind != LiveKey || f.Secret.Reveal() != live20 {
		t.Errorf("finding %+v, want config.env:2:5 at %s", f, first)
	}
	if st.Files != 4 { // README, two versions of config.env, fixture.txt
		t.Errorf("read %d blobs, want 4", st.Files)
	}
	// Paths matching --exclude are not read.
	fs, _, err = ScanHistory(context.Background(), dir, Options{Exclude: []string{"*.env"}})
	if err != nil || len(fs) != 0 {
		t.Errorf("with --exclude: %+v, %v", fs, err)
	}
	if _, _, err := ScanHistory(context.Background(), t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

func TestWriteSARIFHasRequiredFields(t *testing.T) {
	var b bytes.Buffer
	fs := []SARIFResult{
		{Finding: Finding{Path: "dir/a b.txt", Line: 3, Column: 7, Kind: LiveKey, Secret: NewSecret(live20)}, Note: "live"},
		{Finding: Finding{Path: "s.txt", Line: 1, Column: 1, Kind: SessionToken, Secret: NewSecret(session), Commit: "abc"}},
	}
	if err := WriteSARIF(&b, "1.2.3", fs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), live20) || strings.Contains(b.String(), session) {
		t.Fatal("SARIF holds a whole secret")
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine, StartColumn, EndColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Properties map[string]string `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "zupy" || len(log.Runs[0].Tool.Driver.Rules) != len(Kinds) {
		t.Fatalf("log %+v", log)
	}
	r := log.Runs[0].Results
	if len(r) != 2 {
		t.Fatalf("results %+v", r)
	}
	loc := r[0].Locations[0].PhysicalLocation
	if r[0].RuleID != "zupy/live-key" || log.Runs[0].Tool.Driver.Rules[r[0].RuleIndex].ID != r[0].RuleID ||
		loc.ArtifactLocation.URI != "dir/a%20b.txt" || loc.Region.StartLine != 3 || loc.Region.StartColumn != 7 ||
		loc.Region.EndColumn != 7+len(live20) || !strings.Contains(r[0].Message.Text, "(live)") {
		t.Errorf("first result %+v", r[0])
	}
	if r[1].RuleID != "zupy/session-token" || r[1].Properties["commit"] != "abc" {
		t.Errorf("second result %+v", r[1])
	}
}

// TestRepositoryScansClean keeps zupy's own tree clean for its pre-commit
// hook (`zupy keys scan .`): a test that needs a well-formed fake secret
// assembles it at run time or marks its line with zupy:allow.
func TestRepositoryScansClean(t *testing.T) {
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("not run from the source tree")
	}
	fs, st, err := ScanPaths(context.Background(), []string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		t.Errorf("%s:%d:%d: %s %s: build it at run time, or end the line with zupy:allow", f.Path, f.Line, f.Column, f.Kind, f.Secret)
	}
	if st.Files < 100 {
		t.Errorf("only %d files read: the test does not look at the repository", st.Files)
	}
}
