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
		if !strings.ContainsAny(v, " ,") || room < 12 || longestWord(v, " ,") > room {
			// On lines of its own, below the label: words stay whole when
			// they fit the width.
			for _, l := range wrapLines(v, max(width-2, 1), " ,") {
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
// only a word that is longer than a line.
func wrapLines(s string, width int, breakpoints string) []string {
	var out []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		out = append(out, strings.TrimRight(line.String(), " "))
		line.Reset()
		lineW = 0
	}
	for _, w := range splitAfterAny(s, breakpoints) {
		ww := ansi.StringWidth(strings.TrimRight(w, " "))
		if lineW > 0 && lineW+ww > width {
			flush()
		}
		if ww > width { // a word longer than a line: cut it where it must be cut
			parts := strings.Split(ansi.Hardwrap(w, width, false), "\n")
			out = append(out, parts[:len(parts)-1]...)
			w = parts[len(parts)-1]
		}
		line.WriteString(w)
		lineW += ansi.StringWidth(w)
	}
	if line.Len() > 0 || len(out) == 0 {
		flush()
	}
	return out
}

// longestWord is the width of the widest word of s cut at breakpoints.
func longestWord(s, breakpoints string) int {
	n := 0
	for _, w := range splitAfterAny(s, breakpoints) {
		n = max(n, ansi.StringWidth(strings.TrimRight(w, " ")))
	}
	return n
}

// splitAfterAny cuts s after each rune in breakpoints, keeping it with the
// word before. Unlike ansi.Wrap it never breaks at a hyphen: a command such
// as `zupy keys update --allow-ip …` must not be cut inside `--allow-ip`.
func splitAfterAny(s, breakpoints string) []string {
	var words []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(breakpoints, r) {
			words = append(words, s[start:i+len(string(r))])
			start = i + len(string(r))
		}
	}
	if start < len(s) {
		words = append(words, s[start:])
	}
	return words
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
