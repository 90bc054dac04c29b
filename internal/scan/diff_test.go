package scan

import (
	"slices"
	"strings"
	"testing"
)

func TestScanReaderReadsADiffAsTheChangeItMakes(t *testing.T) {
	diff := "diff --git a/app/config.env b/app/config.env\n" +
		"index 1111111..2222222 100644\n" +
		"--- a/app/config.env\n" +
		"+++ b/app/config.env\n" +
		"@@ -1,3 +1,4 @@\n" +
		" A=1\n" +
		"-OLD=" + test20 + "\n" + // removed: not reported
		"+NEW=" + live20 + "\n" +
		"+FIXTURE=" + live64 + " # zupy:allow\n" +
		" B=2\n" +
		"@@ -40,2 +41,3 @@ func x() {\n" +
		" ctx\n" +
		"+\tsession := \"" + session + "\"\n" +
		"diff --git a/gone.txt b/gone.txt\n" +
		"deleted file mode 100644\n" +
		"--- a/gone.txt\n" +
		"+++ /dev/null\n" +
		"@@ -1 +0,0 @@\n" +
		"-" + live20 + "\n" +
		"diff --git \"a/caf\\303\\251.txt\" \"b/caf\\303\\251.txt\"\n" +
		"--- /dev/null\n" +
		"+++ \"b/caf\\303\\251.txt\"\n" +
		"@@ -0,0 +1 @@\n" +
		"+" + test20 + "\n"
	fs, _, err := ScanReader(strings.NewReader(diff), "-")
	if err != nil {
		t.Fatal(err)
	}
	type loc struct {
		path      string
		line, col int
		kind      Kind
	}
	var got []loc
	for _, f := range fs {
		got = append(got, loc{f.Path, f.Line, f.Column, f.Kind})
	}
	want := []loc{
		{"app/config.env", 2, 5, LiveKey},
		{"app/config.env", 42, 14, SessionToken},
		{"café.txt", 1, 1, TestKey},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestScanReaderTellsADiffFromText(t *testing.T) {
	for _, tt := range []struct {
		text string
		diff bool
	}{
		{"diff --git a/x b/x\n", true},
		{"--- a/x\t2026-01-01\n+++ b/x\t2026-01-02\n", true},
		{"--- \nkey: value\n", false}, // a YAML document
		{"--- a\n--- b\n", false},
		{"plain\n", false},
	} {
		if got := isUnifiedDiff([]byte(tt.text)); got != tt.diff {
			t.Errorf("isUnifiedDiff(%q) = %v", tt.text, got)
		}
	}
	// A YAML stream is read whole: its secret, on a line without "+", counts.
	fs, _, err := ScanReader(strings.NewReader("--- \nkey: "+live20+"\n"), "-")
	if err != nil || len(fs) != 1 || fs[0].Path != "-" || fs[0].Line != 2 {
		t.Fatalf("YAML: %+v, %v", fs, err)
	}
}
