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

// Hunks are read by their line counts: content that looks like a header
// ("+++ …" for an added line starting with "++ ", "--- …" for a removed one
// starting with "-- ") is content, and each added line is credited to its
// own file and line.
func TestScanDiffReadsHunksByTheirCounts(t *testing.T) {
	type loc struct {
		path string
		line int
		kind Kind
	}
	header := func(name string) string {
		return "diff --git a/" + name + " b/" + name + "\nindex 1111111..2222222 100644\n--- a/" + name + "\n+++ b/" + name + "\n"
	}
	tests := []struct {
		name string
		diff string
		want []loc
	}{
		{"an added line that reads +++ holds a key",
			header("app.env") + "@@ -1,2 +1,3 @@\n a\n+++ KEY=" + live20 + "\n b\n",
			[]loc{{"app.env", 2, LiveKey}}},
		{"an added +++ line does not change the file of later lines",
			header("app.env") + "@@ -1 +1,3 @@\n a\n+++ b/other.txt\n+KEY=" + live20 + "\n",
			[]loc{{"app.env", 3, LiveKey}}},
		{"removed lines that read --- and +++ are not headers",
			header("app.env") + "@@ -1,3 +1,2 @@\n--- a/x\n-+++ b/x\n a\n+KEY=" + test20 + "\n",
			[]loc{{"app.env", 2, TestKey}}},
		{"a removed --- line then an added +++ line",
			header("app.env") + "@@ -5,1 +5,1 @@\n--- " + live20 + "\n+++ " + test20 + "\n" + header("next.env") + "@@ -0,0 +1 @@\n+" + session + "\n",
			[]loc{{"app.env", 5, TestKey}, {"next.env", 1, SessionToken}}},
		{"no newline at end of file",
			header("app.env") + "@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+KEY=" + live20 + "\n\\ No newline at end of file\n" + header("b.env") + "@@ -1,0 +2 @@\n+" + test20 + "\n",
			[]loc{{"app.env", 1, LiveKey}, {"b.env", 2, TestKey}}},
		{"hunks without counts mean one line",
			header("app.env") + "@@ -3 +3 @@\n-x\n+" + live20 + "\n@@ -10 +10 @@\n-y\n+" + test20 + "\n",
			[]loc{{"app.env", 3, LiveKey}, {"app.env", 10, TestKey}}},
		{"a context line whose space was trimmed",
			header("app.env") + "@@ -1,3 +1,4 @@\n a\n\n+++" + live20 + "\n c\n",
			[]loc{{"app.env", 3, LiveKey}}},
		{"diff -u without git's header",
			"--- a.env\t2026-01-01\n+++ b.env\t2026-01-02\n@@ -1,1 +1,2 @@\n x\n+++ " + live20 + "\n",
			[]loc{{"b.env", 2, LiveKey}}},
		{"a combined diff of a merge",
			"diff --cc m.env\nindex 1,2..3\n--- a/m.env\n+++ b/m.env\n@@@ -1,2 -1,2 +1,3 @@@\n  a\n- ours\n -theirs\n++" + live20 + "\n++++ " + test20 + "\n" +
				"@@@ -9,2 -9,1 +9,2 @@@\n  x\n +" + session + "\n",
			[]loc{{"m.env", 2, LiveKey}, {"m.env", 3, TestKey}, {"m.env", 10, SessionToken}}},
		{"a hunk cut short ends at the next header",
			header("a.env") + "@@ -1,5 +1,5 @@\n a\n" + header("b.env") + "@@ -0,0 +1 @@\n+" + live20 + "\n",
			[]loc{{"b.env", 1, LiveKey}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, err := ScanReader(strings.NewReader(tt.diff), "-")
			if err != nil {
				t.Fatal(err)
			}
			var got []loc
			for _, f := range fs {
				got = append(got, loc{f.Path, f.Line, f.Kind})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
