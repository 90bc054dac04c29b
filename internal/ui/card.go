package ui

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Field is one labelled line of a card or a detail view. Style, when set,
// colours the value.
type Field struct {
	Label, Value string
	Style        func(string) string
}

// RenderFields lays fields out as aligned "label  value" lines, labels
// muted; a Field with neither label nor value is an empty line. Values are
// kept to one line (SingleLine), so server text cannot draw.
func RenderFields(cs *ColorScheme, fs []Field) string {
	width := 0
	for _, f := range fs {
		width = max(width, len(f.Label))
	}
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte('\n')
		}
		if f.Label == "" && f.Value == "" {
			continue
		}
		v := SingleLine(f.Value)
		if f.Style != nil {
			v = f.Style(v)
		}
		b.WriteString(cs.Muted(f.Label + strings.Repeat(" ", width-len(f.Label))))
		b.WriteString("  ")
		b.WriteString(v)
	}
	return b.String()
}

// Card is a bordered box: a success mark and a bold title, the fields, a
// warning line and muted notes. It shows a secret once, after create or
// rotate.
type Card struct {
	Title   string
	Fields  []Field
	Warning string
	Notes   []string
}

// Render draws the card with cs; with colour off it is the same card without
// any ANSI sequence.
func (c Card) Render(cs *ColorScheme) string {
	r := cs.Renderer()
	if r == nil {
		r = lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.Ascii)
	}
	var b strings.Builder
	b.WriteString(cs.Success("✓") + " " + cs.Bold(c.Title) + "\n\n")
	b.WriteString(RenderFields(cs, c.Fields))
	if c.Warning != "" {
		b.WriteString("\n\n" + cs.Warning("! "+c.Warning))
	}
	for _, n := range c.Notes {
		b.WriteString("\n" + cs.Muted(n))
	}
	style := r.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if cs.Enabled() {
		style = style.BorderForeground(colorWarning)
	}
	return style.Render(b.String()) + "\n"
}
