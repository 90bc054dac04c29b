package keys

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/ui"
)

// SecretWarning is printed with every secret shown on a terminal.
const SecretWarning = "This secret will not be shown again. Store it now."

// field is one labelled line of a card or of `keys show`.
type field struct {
	label, value string
	style        func(string) string
}

// keyFields are the fields of k a person reads, in display order.
func keyFields(cs *ui.ColorScheme, k *api.Key, now time.Time, isDefault bool) []field {
	id := k.KeyID
	if isDefault {
		id += " (default)"
	}
	fs := []field{
		{"Key ID", id, cs.Bold},
		{"Name", k.Name, nil},
	}
	if k.Description != "" {
		fs = append(fs, field{"Description", k.Description, nil})
	}
	fs = append(fs,
		field{"Environment", k.Environment, nil},
		field{"Scopes", strings.Join(k.Permissions, ", "), cs.Accent},
		field{"Rate limit", fmt.Sprintf("%d requests/minute", k.RateLimit), nil},
		field{"IP allow-list", ipSummary(k.IPRestrictions), nil},
		field{"Status", k.Status, statusStyle(cs, k.Status)},
		field{"Created", k.CreatedAt.UTC().Format(time.RFC3339), nil},
		field{"Expires", k.ExpiresAt.UTC().Format(time.RFC3339) + " (" + ui.RelativeTime(k.ExpiresAt, now) + ")", expiryStyle(cs, k.ExpiresAt, now)},
	)
	last := "never"
	if k.LastUsedAt != nil {
		last = k.LastUsedAt.UTC().Format(time.RFC3339) + " (" + ui.RelativeTime(*k.LastUsedAt, now) + ")"
	}
	fs = append(fs, field{"Last used", last, nil}, field{"Usage count", fmt.Sprint(k.UsageCount), nil})
	if k.RevokedAt != nil {
		fs = append(fs, field{"Revoked", k.RevokedAt.UTC().Format(time.RFC3339), cs.Failure})
	}
	if k.RotatedFrom != nil {
		fs = append(fs, field{"Rotated from", *k.RotatedFrom, nil})
	}
	if k.RotatedTo != nil {
		fs = append(fs, field{"Rotated to", *k.RotatedTo, nil})
	}
	if k.KeyHint != "" {
		fs = append(fs, field{"Key", k.KeyHint, cs.Muted})
	}
	return fs
}

func ipSummary(ips []string) string {
	if len(ips) == 0 {
		return "any address"
	}
	return strings.Join(ips, ", ")
}

// expiryStyle is red when the key expires within 7 days or has expired.
func expiryStyle(cs *ui.ColorScheme, exp, now time.Time) func(string) string {
	if exp.Sub(now) < 7*24*time.Hour {
		return cs.Failure
	}
	return nil
}

func statusStyle(cs *ui.ColorScheme, status string) func(string) string {
	switch status {
	case api.StatusActive:
		return cs.Success
	case api.StatusRevoked:
		return cs.Failure
	}
	return cs.Warning
}

// renderFields lays fields out as aligned "label  value" lines.
func renderFields(cs *ui.ColorScheme, fs []field) string {
	width := 0
	for _, f := range fs {
		width = max(width, len(f.label))
	}
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if f.label == "" && f.value == "" {
			continue
		}
		v := ui.SingleLine(f.value)
		if f.style != nil {
			v = f.style(v)
		}
		b.WriteString(cs.Muted(f.label + strings.Repeat(" ", width-len(f.label))))
		b.WriteString("  ")
		b.WriteString(v)
	}
	return b.String()
}

// secretCard is the card shown on a terminal for a key just created or
// rotated: a title, every field, the secret highlighted, the warning that it
// will not be shown again and, for a rotation, what became of the old key.
type secretCard struct {
	Title    string
	Key      *api.Key
	Now      time.Time
	Default  bool
	Previous *api.PreviousKey
	Notes    []string
}

// render draws the card with cs; with colour off it is the same card
// without any ANSI sequence.
func (c secretCard) render(cs *ui.ColorScheme) string {
	r := cs.Renderer()
	if r == nil {
		r = lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.Ascii)
	}
	fs := keyFields(cs, c.Key, c.Now, c.Default)
	// The masked hint says nothing the secret below does not.
	fs = slices.DeleteFunc(fs, func(f field) bool { return f.label == "Key" })
	if c.Previous != nil {
		fs = append(fs, field{"Previous key", previousSummary(c.Previous, c.Now), cs.Warning})
	}
	fs = append(fs, field{}, field{"Secret", c.Key.APIKey, cs.Secret})
	var b strings.Builder
	b.WriteString(cs.Success("✓") + " " + cs.Bold(c.Title) + "\n\n")
	b.WriteString(renderFields(cs, fs))
	b.WriteString("\n\n" + cs.Warning("! "+SecretWarning))
	for _, n := range c.Notes {
		b.WriteString("\n" + cs.Muted(n))
	}
	style := r.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if cs.Enabled() {
		style = style.BorderForeground(lipgloss.Color("3"))
	}
	return style.Render(b.String()) + "\n"
}

// previousSummary says when the rotated key stops working.
func previousSummary(p *api.PreviousKey, now time.Time) string {
	if p.Status != api.StatusActive || !p.ExpiresAt.After(now) {
		return p.KeyID + " " + p.Status + " now"
	}
	return fmt.Sprintf("%s expires %s (%s)", p.KeyID, p.ExpiresAt.UTC().Format(time.RFC3339), ui.RelativeTime(p.ExpiresAt, now))
}

// summary is the one-line description of a new key printed on stderr when
// the secret alone goes to stdout.
func summary(verb string, k *api.Key) string {
	return fmt.Sprintf("%s key %s %q (%s, %s, expires %s)", verb, k.KeyID, ui.SingleLine(k.Name), k.Environment,
		plural(len(k.Permissions), "scope"), k.ExpiresAt.UTC().Format(time.RFC3339))
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
