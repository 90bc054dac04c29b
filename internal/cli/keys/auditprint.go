package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/ui"
)

// auditReport is what -o json prints.
type auditReport struct {
	AuditedAt time.Time `json:"audited_at"`
	Since     string    `json:"since"`
	MaxAge    string    `json:"max_age"`
	Keys      int       `json:"keys"`
	Findings  []Finding `json:"findings"`
}

func printAudit(opts *AuditOptions, fs []Finding, keys int, now time.Time) error {
	switch opts.Output {
	case "json":
		if fs == nil {
			fs = []Finding{}
		}
		return ui.WriteJSON(opts.IO.Out, auditReport{AuditedAt: now.UTC(), Since: sinceQuery(opts.Since), MaxAge: sinceQuery(opts.MaxAge), Keys: keys, Findings: fs})
	case "markdown":
		_, err := fmt.Fprint(opts.IO.Out, markdownAudit(fs, keys, now, opts))
		return err
	}
	_, err := fmt.Fprint(opts.IO.Out, textAudit(opts.IO, fs, keys))
	return err
}

// groups splits sorted findings into runs of one key.
func groups(fs []Finding) [][]Finding {
	var out [][]Finding
	for i, f := range fs {
		if i == 0 || fs[i-1].KeyID != f.KeyID {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], f)
	}
	return out
}

// tally is "3 findings on 2 of 10 keys: 1 high, 2 medium".
func tally(fs []Finding, keys int) string {
	keysNoun := "keys"
	if keys == 1 {
		keysNoun = "key"
	}
	if len(fs) == 0 {
		return fmt.Sprintf("No findings on %d %s", keys, keysNoun)
	}
	n := map[severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range []severity{sevHigh, sevMedium, sevLow} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	noun := "findings"
	if len(fs) == 1 {
		noun = "finding"
	}
	return fmt.Sprintf("%d %s on %d of %d %s: %s", len(fs), noun, len(groups(fs)), keys, keysNoun, strings.Join(parts, ", "))
}

// textAudit draws the findings grouped by key, most severe key first,
// within the terminal's width.
func textAudit(io *ui.IOStreams, fs []Finding, keys int) string {
	cs := io.ColorScheme()
	width := io.TerminalWidth()
	style := map[severity]func(string) string{sevHigh: cs.Failure, sevMedium: cs.Warning, sevLow: cs.Muted}
	var b strings.Builder
	for _, g := range groups(fs) {
		k := g[0]
		fmt.Fprintf(&b, "%s  %s  %s\n", cs.Bold(ui.SingleLine(k.KeyID)), ui.SingleLine(k.Name), cs.Muted(ui.SingleLine(k.Environment)))
		for _, f := range g {
			fmt.Fprintf(&b, "  %s %s\n", style[f.Severity](fmt.Sprintf("%-6s", f.Severity)), cs.Bold(f.Check))
			fields := []ui.Field{{Label: "evidence", Value: f.Evidence}}
			if f.Fix != "" {
				fix := ui.Field{Label: "fix", Value: f.Fix, Style: cs.Accent}
				if f.Review {
					fix.Label = "review"
				}
				fields = append(fields, fix)
			}
			for _, line := range strings.Split(ui.RenderFieldsWidth(cs, fields, max(width-4, 20)), "\n") {
				b.WriteString("    " + line + "\n")
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString(tally(fs, keys) + "\n")
	return b.String()
}

// markdownAudit is the report to paste into a ticket.
func markdownAudit(fs []Finding, keys int, now time.Time, opts *AuditOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Zupy API key audit\n\n%s, on %s (usage window %s, longest lineage without a rotation %s).\n",
		tally(fs, keys), stamp(now), sinceQuery(opts.Since), sinceQuery(opts.MaxAge))
	for _, g := range groups(fs) {
		k := g[0]
		fmt.Fprintf(&b, "\n## `%s` %s (%s)\n\n| Severity | Check | Evidence | Fix |\n|---|---|---|---|\n", mdCode(k.KeyID), mdCell(k.Name), mdCell(k.Environment))
		for _, f := range g {
			fix := ""
			if f.Fix != "" {
				fix = "`" + mdCode(f.Fix) + "`"
				if f.Review {
					fix += " (review the addresses first)"
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Severity, f.Check, mdCell(f.Evidence), strings.ReplaceAll(fix, "|", `\|`))
		}
	}
	return b.String()
}

// mdCode is text for inside a code span: one line, no backquote.
func mdCode(s string) string { return strings.ReplaceAll(ui.SingleLine(s), "`", "'") }

// mdCell is server text made safe for a table cell: one line, no pipe, no
// markup that could turn into a link or an image.
func mdCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "`", "'", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;")
	return r.Replace(ui.SingleLine(s))
}
