package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// Table prints rows. On a terminal it aligns columns, styles the header and
// lets cells carry colour; elsewhere it writes tab-separated rows without a
// header or styling, one record per line, safe for cut and awk.
type Table struct {
	out    io.Writer
	tty    bool
	cs     *ColorScheme
	header []string
	rows   [][]cell
	cur    []cell
}

type cell struct {
	text  string
	style func(string) string
}

// NewTable returns a table for the streams' stdout.
func NewTable(io *IOStreams, header ...string) *Table {
	t := &Table{out: io.Out, tty: io.IsStdoutTTY(), header: header}
	if t.tty {
		t.cs = io.ColorScheme()
	}
	return t
}

// IsTTY reports whether the table is printed for a person.
func (t *Table) IsTTY() bool { return t.tty }

// AddField adds a cell to the current row; style, if given, colours it on a
// terminal.
func (t *Table) AddField(text string, style ...func(string) string) {
	c := cell{text: SingleLine(text)}
	if len(style) > 0 {
		c.style = style[0]
	}
	t.cur = append(t.cur, c)
}

// AddTime adds a time: relative ("in 3 days") on a terminal, RFC 3339
// otherwise; a zero time prints as "never" / empty.
func (t *Table) AddTime(tm time.Time, now time.Time, style ...func(string) string) {
	if !t.tty {
		if tm.IsZero() {
			t.AddField("")
			return
		}
		t.AddField(tm.UTC().Format(time.RFC3339))
		return
	}
	if tm.IsZero() {
		t.AddField("never", style...)
		return
	}
	t.AddField(RelativeTime(tm, now), style...)
}

// EndRow finishes the current row.
func (t *Table) EndRow() {
	t.rows = append(t.rows, t.cur)
	t.cur = nil
}

// Render writes the table.
func (t *Table) Render() error {
	if !t.tty {
		for _, r := range t.rows {
			parts := make([]string, len(r))
			for i, c := range r {
				parts[i] = c.text
			}
			if _, err := fmt.Fprintln(t.out, strings.Join(parts, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = lipgloss.Width(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], lipgloss.Width(c.text))
		}
	}
	var b strings.Builder
	if len(t.header) > 0 {
		for i, h := range t.header {
			writePadded(&b, t.cs.Bold(h), lipgloss.Width(h), widths[i], i == len(t.header)-1)
		}
		b.WriteByte('\n')
	}
	for _, r := range t.rows {
		for i, c := range r {
			text := c.text
			if c.style != nil {
				text = c.style(text)
			}
			writePadded(&b, text, lipgloss.Width(c.text), widths[i], i == len(r)-1)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

func writePadded(b *strings.Builder, styled string, width, colWidth int, last bool) {
	b.WriteString(styled)
	if !last {
		b.WriteString(strings.Repeat(" ", colWidth-width+2))
	}
}

// SingleLine keeps text from the API on one line and inert on a terminal:
// tabs and line breaks become spaces, and control characters (C0, DEL, C1)
// and bidirectional overrides are dropped, so a key name can neither break
// a table nor inject escape sequences nor visually reorder a line.
func SingleLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f':
			return -1
		}
		return r
	}, s)
}

// RelativeTime describes t relative to now: "in 89 days", "3 hours ago",
// "just now".
func RelativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < 90*time.Second:
		s = "1 minute"
	case d < 45*time.Minute:
		s = plural(int((d+30*time.Second)/time.Minute), "minute")
	case d < 90*time.Minute:
		s = "1 hour"
	case d < 36*time.Hour:
		s = plural(int((d+30*time.Minute)/time.Hour), "hour")
	case d < 548*24*time.Hour:
		s = plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	default:
		s = plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// FormatDuration renders a duration for people: "4m 32s", "23h 59m", "2d 3h".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
}
