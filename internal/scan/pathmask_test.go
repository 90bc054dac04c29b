package scan

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A secret used as a file name is masked wherever a path is printed: here
// the path of a diff read from standard input, and MaskPath itself.
func TestSecretsInPathsAreMasked(t *testing.T) {
	name := "zup_live_sk_" + strings.Repeat("Ab3", 8)   // built at run time
	inside := "zup_test_sk_" + strings.Repeat("xY7", 8) // built at run time
	for in, want := range map[string]string{
		"d/" + name + ".env":          "d/zup_live_sk_…3Ab3.env",
		"d/name_" + name + ".env":     "d/name_zup_live_sk_…3Ab3.env",
		"MY_A_" + name + "_old/x.txt": "MY_A_zup_live_sk_…3Ab3_old/x.txt",
		"d/zup_live_sk_short.env":     "d/zup_live_sk_short.env",
	} {
		if got := MaskPath(in); got != want {
			t.Errorf("MaskPath = %q, want %q", got, want)
		}
	}
	for _, file := range []string{name + ".env", "name_" + name + ".env"} {
		diff := "diff --git a/" + file + " b/" + file + "\n--- /dev/null\n+++ b/" + file + "\n@@ -0,0 +1 @@\n+KEY=" + inside + "\n"
		findings, _, err := ScanReader(strings.NewReader(diff), "-")
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) != 1 {
			t.Fatalf("%d findings, want 1", len(findings))
		}
		if p := findings[0].Path; strings.Contains(p, name) || !strings.Contains(p, "zup_live_sk_…") {
			t.Errorf("diff finding's path %q is not masked", MaskPath(p))
		}
	}
}

// A folder scan masks the secrets in every path it hands out: the findings'
// paths (a name glued to a key by "_" included) and the paths its warnings
// name.
func TestFolderScanMasksSecretsInNamesAndWarnings(t *testing.T) {
	key := "zup_live_sk_" + strings.Repeat("Nm4", 8) // built at run time
	dir := filepath.Join(t.TempDir(), "name_"+key)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "MY_A_"+key+"_old.env"), []byte("KEY="+live20+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A socket named on the command line cannot be opened: a warning that
	// names it.
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer l.Close()
	var warned []string
	findings, _, err := ScanPaths(context.Background(), []string{dir, sock}, Options{Warn: func(err error) { warned = append(warned, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 3 { // the folder's name, the file's name, the file
		t.Errorf("%d findings, want 3", len(findings))
	}
	for _, f := range findings {
		if strings.Contains(f.Path, key) || !strings.Contains(f.Path, "name_zup_live_sk_…") {
			t.Errorf("finding's path %q is not masked", MaskPath(f.Path))
		}
	}
	if len(warned) != 1 {
		t.Fatalf("warnings %q, want one for the socket", warned)
	}
	if strings.Contains(warned[0], key) || !strings.Contains(warned[0], "name_zup_live_sk_…") {
		t.Errorf("warning %q is not masked", MaskPath(warned[0]))
	}
}
