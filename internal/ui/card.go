package ui

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
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
func RenderFields(cs *ColorScheme, fs []Field) string { return RenderFieldsWidth(cs, fs, 0) }

// RenderFieldsWidth is RenderFields kept within width columns (0: no
// limit). A value too long for the room beside its label is wrapped at
// spaces and commas, its lines aligned under its first; a value that
// cannot be broken there (a secret, an id) goes whole on the line below its
// label, so that it can still be copied in one piece.
func RenderFieldsWidth(cs *ColorScheme, fs []Field, width int) string {
	labelW := 0
	for _, f := range fs {
		labelW = max(labelW, len(f.Label))
	}
	style := func(f Field, v string) string {
		if f.Style != nil {
			return f.Style(v)
		}
		return v
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
		b.WriteString(cs.Muted(f.Label + strings.Repeat(" ", labelW-len(f.Label))))
		room := width - labelW - 2
		if width <= 0 || ansi.StringWidth(v) <= room {
			b.WriteString("  " + style(f, v))
			continue
		}
		if !strings.ContainsAny(v, " ,") || room < 12 {
			// On its own line, whole when it fits the width.
			lines := strings.Split(ansi.Hardwrap(v, max(width-2, 1), false), "\n")
			for _, l := range lines {
				b.WriteString("\n  " + style(f, l))
			}
			continue
		}
		lines := wrapLines(v, room, " ,")
		for j, l := range lines {
			if j > 0 {
				b.WriteString("\n" + strings.Repeat(" ", labelW))
			}
			b.WriteString("  " + style(f, strings.TrimRight(l, " ")))
		}
	}
	return b.String()
}

// wrapLines wraps s at breakpoints into lines no wider than width, cutting
// a word that is longer than a line (ansi.Wrap may leave a breakpoint
// character past the limit: those lines are cut again).
func wrapLines(s string, width int, breakpoints string) []string {
	var out []string
	for _, l := range strings.Split(ansi.Wrap(s, width, breakpoints), "\n") {
		l = strings.TrimRight(l, " ")
		if ansi.StringWidth(l) > width {
			out = append(out, strings.Split(ansi.Hardwrap(l, width, false), "\n")...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// Card is a bordered box: a success mark and a bold title, the fields, a
// warning line and muted notes. It shows a secret once, after create or
// rotate.
type Card struct {
	Title   string
	Fields  []Field
	Warning string
	Notes   []string
	// Width is the terminal's width; the card, border included, stays
	// within it. 0: as wide as its content.
	Width int
}

// Render draws the card with cs; with colour off it is the same card without
// any ANSI sequence.
func (c Card) Render(cs *ColorScheme) string {
	r := cs.Renderer()
	if r == nil {
		r = lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.Ascii)
	}
	// Inside the border and its padding: 4 columns fewer.
	inner := 0
	if c.Width > 0 {
		inner = max(c.Width-4, 20)
	}
	wrap := func(s string, paint func(string) string) string {
		if inner == 0 {
			return paint(s)
		}
		lines := wrapLines(s, inner, " ")
		for i, l := range lines {
			lines[i] = paint(strings.TrimRight(l, " "))
		}
		return strings.Join(lines, "\n")
	}
	var b strings.Builder
	// Title, warning and notes may quote the server (a key id): one line
	// each, inert, like the fields.
	b.WriteString(cs.Success("✓") + " " + wrap(SingleLine(c.Title), cs.Bold) + "\n\n")
	b.WriteString(RenderFieldsWidth(cs, c.Fields, inner))
	if c.Warning != "" {
		b.WriteString("\n\n" + wrap("! "+SingleLine(c.Warning), cs.Warning))
	}
	for _, n := range c.Notes {
		b.WriteString("\n" + wrap(SingleLine(n), cs.Muted))
	}
	style := r.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if cs.Enabled() {
		style = style.BorderForeground(colorWarning)
	}
	return style.Render(b.String()) + "\n"
}
