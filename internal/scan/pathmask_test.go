package scan

import (
	"strings"
	"testing"
)

// A secret used as a file name is masked wherever a path is printed: here
// the path of a diff read from standard input, and MaskPath itself.
func TestSecretsInPathsAreMasked(t *testing.T) {
	name := "zup_live_sk_" + strings.Repeat("Ab3", 8)   // built at run time
	inside := "zup_test_sk_" + strings.Repeat("xY7", 8) // built at run time
	if got, want := MaskPath("d/"+name+".env"), "d/zup_live_sk_…3Ab3.env"; got != want {
		t.Errorf("MaskPath = %q, want %q", got, want)
	}
	if got := MaskPath("d/zup_live_sk_short.env"); got != "d/zup_live_sk_short.env" {
		t.Errorf("MaskPath changed a path without a secret: %q", got)
	}
	diff := "diff --git a/" + name + ".env b/" + name + ".env\n--- /dev/null\n+++ b/" + name + ".env\n@@ -0,0 +1 @@\n+KEY=" + inside + "\n"
	findings, _, err := ScanReader(strings.NewReader(diff), "-")
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 {
		t.Fatalf("%d findings, want 1", len(findings))
	}
	if p := findings[0].Path; strings.Contains(p, name) || !strings.HasPrefix(p, "zup_live_sk_…") {
		t.Errorf("diff finding's path %q is not masked", MaskPath(p))
	}
}
