package scan

import (
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// TestWriteText: in a pipe, tab-separated lines without a header, the
// commit whole and the verdict's columns after it; on a terminal, a table
// with a header and the commit cut to 12. Without --git and --verify, only
// the finding's five columns.
func TestWriteText(t *testing.T) {
	r, secret := reportFixture(t)
	other := r.results[1].Secret.String()
	pipe := render(t, "text", r, false)
	want := "a b.txt\t3\t7\tlive_key\t" + apikey.Mask(secret) + "\t0123456789abcdef0123\tlive\tkey_aaaaaaaaaaaa\tproduction\tloyalty:read,customer:read\n" +
		"c.txt\t1\t1\ttest_key\t" + other + "\tfedcba9876543210fedc\tlive (rate limited; scopes not read)\t\tstaging\t\n"
	if pipe != want {
		t.Errorf("pipe:\n%q\nwant\n%q", pipe, want)
	}
	tty := render(t, "text", r, true)
	if lines := strings.Split(tty, "\n"); !strings.Contains(lines[0], "PATH") || !strings.Contains(lines[0], "COMMIT") || !strings.Contains(lines[0], "SCOPES") ||
		!strings.Contains(tty, "0123456789ab ") || strings.Contains(tty, "0123456789abc") {
		t.Errorf("terminal:\n%s", tty)
	}

	r.git, r.verify = false, false
	if got := render(t, "text", r, false); !strings.HasPrefix(got, "a b.txt\t3\t7\tlive_key\t"+apikey.Mask(secret)+"\n") {
		t.Errorf("without --git and --verify:\n%q", got)
	}
	r.results = nil
	if got := render(t, "text", r, false); got != "" {
		t.Errorf("nothing found, yet:\n%q", got)
	}
}
