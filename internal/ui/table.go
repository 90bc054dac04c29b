package ui

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// Table prints rows. On a terminal it aligns columns, styles the header and
// lets cells carry colour; elsewhere it writes tab-separated rows without a
// header or styling, one record per line, safe for cut and awk.
type Table struct {
	out    io.Writer
	tty    bool
	width  int // of the terminal; 0 when unknown
	cs     *ColorScheme
	header []string
	rows   [][]cell
	cur    []cell
	// optional are the columns (by header) that a terminal too narrow for
	// the whole table leaves out, first the first.
	optional []string
	// shrink is how narrow a column may be wrapped, by header.
	shrink map[string]int
	// notes are printed under the table on a terminal.
	notes []string
}

// Shrinkable lets the column header be wrapped down to min columns when the
// table is too wide, before optional columns are left out.
func (t *Table) Shrinkable(header string, min int) {
	if t.shrink == nil {
		t.shrink = map[string]int{}
	}
	t.shrink[header] = min
}

// Note adds a muted line under the table on a terminal (a legend), kept
// within the terminal's width; nothing in a pipe.
func (t *Table) Note(text string) { t.notes = append(t.notes, text) }

// Optional names the columns that may be left out, in this order, when the
// table is wider than the terminal; a note under the table says which were.
// The columns left are then fitted to the width by lipgloss.
func (t *Table) Optional(headers ...string) { t.optional = headers }

type cell struct {
	text  string
	style func(string) string
}

// NewTable returns a table for the streams' stdout.
func NewTable(io *IOStreams, header ...string) *Table {
	t := &Table{out: io.Out, tty: io.IsStdoutTTY(), header: header}
	if t.tty {
		t.cs = io.ColorScheme()
		t.width = io.KnownTerminalWidth()
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
	return t.renderTTY()
}

// renderTTY lays the table out with lipgloss's table: columns two spaces
// apart, no borders. A table wider than the terminal is given its width, and
// lipgloss shrinks the widest columns and wraps their cells, so a row never
// spills past the edge.
func (t *Table) renderTTY() error {
	cols := len(t.header)
	for _, r := range t.rows {
		cols = max(cols, len(r))
	}
	header := make([]string, cols)
	copy(header, t.header)
	rows := make([][]string, len(t.rows))
	for i, r := range t.rows {
		rows[i] = make([]string, cols)
		for j, c := range r {
			text := c.text
			if c.style != nil {
				text = c.style(text)
			}
			rows[i][j] = text
		}
	}
	keep := make([]bool, cols)
	for i := range keep {
		keep[i] = true
	}
	// Each column's natural width (its widest cell) and the narrowest it
	// may be wrapped to: a shrinkable column's minimum, never below its
	// header; any other column's natural width.
	natural, least := make([]int, cols), make([]int, cols)
	for i := range header {
		natural[i] = lipgloss.Width(header[i])
		for _, r := range rows {
			natural[i] = max(natural[i], lipgloss.Width(r[i]))
		}
		least[i] = natural[i]
		if m, ok := t.shrink[header[i]]; ok {
			least[i] = min(natural[i], max(m, lipgloss.Width(header[i])))
		}
	}
	total := func(w []int) int {
		sum, n := 0, 0
		for i := range w {
			if keep[i] {
				sum, n = sum+w[i], n+1
			}
		}
		return sum + 2*max(n-1, 0)
	}
	var hidden []string
	for _, name := range t.optional {
		if t.width <= 0 || total(least) <= t.width {
			break
		}
		if i := slices.Index(header, name); i >= 0 && keep[i] {
			keep[i] = false
			hidden = append(hidden, name)
		}
	}
	// Too wide still: narrow the shrinkable column with the most room to
	// give, one column of text at a time; lipgloss then wraps its cells.
	widths := slices.Clone(natural)
	for t.width > 0 && total(widths) > t.width {
		best := -1
		for i := range widths {
			if keep[i] && widths[i] > least[i] && (best < 0 || widths[i]-least[i] > widths[best]-least[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		widths[best]--
	}
	out := t.layout(header, rows, keep, widths)
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	notes := t.notes
	if len(hidden) > 0 {
		notes = append([]string{fmt.Sprintf("Not shown for want of width: %s (-o json has every field)", strings.Join(hidden, ", "))}, notes...)
	}
	for _, note := range notes {
		lines := []string{note}
		if t.width > 0 {
			lines = wrapLines(note, t.width, " ")
		}
		for _, line := range lines {
			b.WriteString(t.cs.Muted(strings.TrimRight(line, " ")) + "\n")
		}
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// layout draws the kept columns with lipgloss's table: two spaces apart, no
// borders, the header bold, each cell wrapped by lipgloss to its column's
// width.
func (t *Table) layout(header []string, rows [][]string, keep []bool, widths []int) string {
	pick := func(r []string, wrap bool) []string {
		var out []string
		for i, c := range r {
			if !keep[i] {
				continue
			}
			if wrap && lipgloss.Width(c) > widths[i] {
				c = lipgloss.NewStyle().Width(widths[i]).Render(c)
			}
			out = append(out, c)
		}
		return out
	}
	h := pick(header, false)
	for i := range h {
		h[i] = t.cs.Bold(h[i])
	}
	tb := table.New().Headers(h...).
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).
		StyleFunc(func(row, col int) lipgloss.Style {
			if col < len(h)-1 {
				return lipgloss.NewStyle().PaddingRight(2)
			}
			return lipgloss.NewStyle()
		})
	for _, r := range rows {
		tb.Row(pick(r, true)...)
	}
	return tb.String()
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
		s = Plural(int((d+30*time.Second)/time.Minute), "minute")
	case d < 90*time.Minute:
		s = "1 hour"
	case d < 36*time.Hour:
		s = Plural(int((d+30*time.Minute)/time.Hour), "hour")
	case d < 548*24*time.Hour:
		s = Plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
	default:
		s = Plural(int(d/(365*24*time.Hour)), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Plural is n with unit, plural when n is not 1: "1 key", "3 keys".
func Plural(n int, unit string) string {
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
