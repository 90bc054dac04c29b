package scan

import (
	"fmt"
	"strings"

	"github.com/zupy/zupy-cli/internal/ui"
)

func init() { register(writer{name: "text", write: writeText}) }

// writeText draws the findings as a table on a terminal, or as
// tab-separated lines without a header in a pipe (ui.NewTable): PATH LINE
// COL KIND SECRET, then COMMIT with --git and STATUS KEY ID ENV SCOPES with
// --verify. Nothing found, nothing written: the summary says so on stderr.
func writeText(io *ui.IOStreams, r *report) error {
	if len(r.results) == 0 {
		return nil
	}
	header := []string{"PATH", "LINE", "COL", "KIND", "SECRET"}
	if r.git {
		header = append(header, "COMMIT")
	}
	if r.verify {
		header = append(header, "STATUS", "KEY ID", "ENV", "SCOPES")
	}
	t := ui.NewTable(io, header...)
	cs := io.ColorScheme()
	for _, f := range r.results {
		t.AddField(f.Path)
		t.AddField(fmt.Sprint(f.Line))
		t.AddField(fmt.Sprint(f.Column))
		t.AddField(string(f.Kind))
		t.AddField(f.Secret.String(), cs.Secret)
		if r.git {
			commit := f.Commit
			if t.IsTTY() && len(commit) > 12 {
				commit = commit[:12]
			}
			t.AddField(commit)
		}
		if r.verify {
			v := f.verdict
			t.AddField(statusText(v), verdictStyle(cs, v))
			t.AddField(v.keyID)
			t.AddField(v.environment)
			t.AddField(strings.Join(v.scopes, ","))
		}
		t.EndRow()
	}
	return t.Render()
}

func verdictStyle(cs *ui.ColorScheme, v *verdict) func(string) string {
	switch {
	case v.revoked:
		return cs.Success
	case v.status == statusLive:
		return cs.Failure
	case v.status == statusUnverified || v.status == statusNotVerified:
		return cs.Warning
	}
	return cs.Muted
}
