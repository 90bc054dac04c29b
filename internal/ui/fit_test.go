package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func keyRows(tb *Table) {
	for _, r := range [][]string{
		{"key_0123456789ab (default)", "PDV loja 1", "production", "loyalty:read, coupons:validate", "100", "any", "in 365 days", "never", "active"},
		{"key_bbbbbbbbbbbb", "CI", "staging", "loyalty:read, keys:rotate", "500", "10.0.0.0/8", "in 89 days", "3 hours ago", "active (rotated, until May 2 12:00Z)"},
	} {
		for _, c := range r {
			tb.AddField(c)
		}
		tb.EndRow()
	}
}

// TestTableFitsTheTerminal: at 50 and 120 columns no line of the list
// is wider than the terminal, and every cell's text is still there
// (wrapped, not cut).
func TestTableFitsTheTerminal(t *testing.T) {
	for _, width := range []int{50, 120} {
		var out bytes.Buffer
		io := Test(strings.NewReader(""), &out, &bytes.Buffer{})
		io.SetTTY(false, true, false)
		io.SetTerminalWidth(width)
		tb := NewTable(io, "ID", "NAME", "ENV", "SCOPES", "RATE", "IPS", "EXPIRES", "LAST USED", "STATUS")
		tb.Optional("IPS", "RATE", "LAST USED", "ENV", "SCOPES", "EXPIRES")
		tb.Shrinkable("NAME", 12)
		tb.Shrinkable("SCOPES", 16)
		tb.Shrinkable("STATUS", 10)
		keyRows(tb)
		tb.Note("* the profile's default key   + its secret is saved on this machine")
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
			if w := lipgloss.Width(line); w > width {
				t.Errorf("at %d columns a line is %d wide: %q", width, w, line)
			}
		}
		// Key ids are never cut; the other cells of the columns that stay
		// keep their whole text, wrapped; the columns left out are named.
		for _, want := range []string{"key_0123456789ab", "key_bbbbbbbbbbbb"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("at %d columns the id %q was cut:\n%s", width, want, out.String())
			}
		}
		flat := strings.Join(strings.Fields(out.String()), " ")
		for _, want := range []string{"(default)", "PDV", "loja 1", "(rotated,", "12:00Z)", "Not shown for want of width: IPS"} {
			if !strings.Contains(flat, want) {
				t.Errorf("at %d columns the table lost %q:\n%s", width, want, out.String())
			}
		}
		t.Logf("%d columns:\n%s", width, out.String())
	}
}

// TestCardFitsTheTerminal: at 50 columns every line of the card, border
// included, is within the width, each line of it is framed (│ … │, never a
// border cut or wrapped by the terminal), and the secret is whole on one
// line.
func TestCardFitsTheTerminal(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	secret := "zup_live_sk_" + strings.Repeat("Ab3", 7)[:20]
	for _, width := range []int{50, 120} {
		card := Card{Title: "Rotated key_0123456789ab → key_bbbbbbbbbbbb", Width: width, Fields: []Field{
			{Label: "Key ID", Value: "key_bbbbbbbbbbbb (default)"},
			{Label: "Scopes", Value: "loyalty:read, loyalty:write, coupons:validate, coupons:redeem, customer:read"},
			{Label: "More scopes", Value: "customer:read, loyalty:read, loyalty:write, coupons:validate, coupons:redeem"},
			{Label: "IP allow-list", Value: "203.0.113.10, 198.51.100.0/24, 2001:db8::/32"},
			{}, {Label: "Secret", Value: secret},
		}, Warning: "This secret will not be shown again. Store it now.", Notes: []string{"Saved key_bbbbbbbbbbbb in /home/someone/.config/zupy/credentials.yaml as the profile's default key"}}.Render(cs)
		lines := strings.Split(strings.TrimRight(card, "\n"), "\n")
		for i, line := range lines {
			if w := lipgloss.Width(line); w > width {
				t.Errorf("at %d columns line %d is %d wide: %q", width, i, w, line)
			}
			switch {
			case i == 0 && !strings.HasPrefix(line, "╭") || i == 0 && !strings.HasSuffix(line, "╮"):
				t.Errorf("top border broken: %q", line)
			case i == len(lines)-1 && (!strings.HasPrefix(line, "╰") || !strings.HasSuffix(line, "╯")):
				t.Errorf("bottom border broken: %q", line)
			case i > 0 && i < len(lines)-1 && (!strings.HasPrefix(line, "│") || !strings.HasSuffix(line, "│")):
				t.Errorf("at %d columns line %d is not framed: %q", width, i, line)
			}
		}
		if !strings.Contains(card, secret) {
			t.Errorf("at %d columns the secret is not whole on one line:\n%s", width, card)
		}
	}
}
