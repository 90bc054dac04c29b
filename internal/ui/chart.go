package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// ChartPoint is one bucket of a usage chart: its requests by class.
type ChartPoint struct {
	Start    time.Time
	OK       int64 // 2xx
	Rejected int64 // 4xx other than 429 (401, 403, 400, 404…)
	Limited  int64 // 429
}

func (p ChartPoint) total() int64 { return p.OK + p.Rejected + p.Limited }

// ChartLine is another key drawn under the chart on the same time axis, as
// a sparkline: a rotation's old or new key.
type ChartLine struct {
	Label  string
	Points []ChartPoint
}

// UsageChart is a key's requests over time: stacked bars of 2xx, 4xx and
// 429 answers, with the rate limit drawn as a line.
type UsageChart struct {
	Points []ChartPoint
	Bucket time.Duration // the width of a point
	// LimitPerMinute is the key's rate limit; the line is drawn at what it
	// allows in one column (a column may sum several points).
	LimitPerMinute int
	Lines          []ChartLine
	Height         int // rows of bars; 0 means 8
}

// Glyphs of the chart's three classes and its limit line, told apart
// without colour too.
const (
	glyphOK      = "█"
	glyphReject  = "▓"
	glyphLimited = "▒"
	glyphLimit   = "─"
)

var sparks = []rune(" ▁▂▃▄▅▆▇█")

// RenderUsageChart draws c fitted to width columns: points are summed into
// columns when there are more points than room, and widened when fewer.
func RenderUsageChart(cs *ColorScheme, c UsageChart, width int) string {
	height := c.Height
	if height <= 0 {
		height = 8
	}
	if len(c.Points) == 0 {
		return cs.Muted("no data in this window") + "\n"
	}
	const axis = 8 // "  1,234 ┤"
	const suffix = len(" limit")
	room := max(width-axis-suffix, 10)
	cols, per := columns(c.Points, room)
	barWidth := max(1, min(3, room/len(cols)))
	limit := int64(c.LimitPerMinute) * int64(per) * int64(max(c.Bucket/time.Minute, 1))
	top := limit
	for _, col := range cols {
		top = max(top, col.total())
	}
	top = max(top, 1)
	cell := func(v int64) int { // rows covered by v, a non-zero v at least one
		if v <= 0 {
			return 0
		}
		return max(1, int((v*int64(height)+top/2)/top))
	}
	limitRow := -1
	if c.LimitPerMinute > 0 {
		limitRow = min(height-1, max(0, cell(limit)-1))
	}
	var b strings.Builder
	for row := height - 1; row >= 0; row-- {
		label := ""
		switch row {
		case height - 1:
			label = compact(top)
		case limitRow:
			label = compact(limit)
		case 0:
			label = "0"
		}
		fmt.Fprintf(&b, "%*s ┤", axis-2, label)
		for _, col := range cols {
			ok, rej := cell(col.OK), cell(col.OK+col.Rejected)
			all := cell(col.total())
			var g string
			switch {
			case row < ok:
				g = cs.Success(glyphOK)
			case row < rej:
				g = cs.Warning(glyphReject)
			case row < all:
				g = cs.Failure(glyphLimited)
			case row == limitRow:
				g = cs.Muted(glyphLimit)
			default:
				g = " "
			}
			b.WriteString(strings.Repeat(g, barWidth))
		}
		if row == limitRow {
			b.WriteString(cs.Muted(" limit"))
		}
		b.WriteByte('\n')
	}
	span := len(cols) * barWidth
	b.WriteString(strings.Repeat(" ", axis-1) + "└" + strings.Repeat("─", span) + "\n")
	first, last := cols[0].Start, cols[len(cols)-1].Start
	left, right := timeLabel(first, c.Bucket, first, last), timeLabel(last, c.Bucket, first, last)
	gap := max(1, span-lipgloss.Width(left)-lipgloss.Width(right))
	b.WriteString(strings.Repeat(" ", axis) + left + strings.Repeat(" ", gap) + right + "\n")
	for _, l := range c.Lines {
		lc, _ := columns(l.Points, room)
		var lineTop, sum int64 = 1, 0
		for _, p := range lc {
			lineTop = max(lineTop, p.total())
			sum += p.total()
		}
		var s strings.Builder
		for _, p := range lc {
			i := 0
			if p.total() > 0 {
				i = max(1, int(p.total()*int64(len(sparks)-1)/lineTop))
			}
			s.WriteString(strings.Repeat(string(sparks[i]), barWidth))
		}
		label := fmt.Sprintf("%s: %d requests", l.Label, sum)
		if lipgloss.Width(label) > width-axis {
			label = string([]rune(label)[:max(0, width-axis-1)]) + "…"
		}
		fmt.Fprintf(&b, "%*s%s\n%*s%s\n", axis, "", cs.Muted(label), axis, "", cs.Accent(s.String()))
	}
	parts := []string{cs.Success(glyphOK) + " 2xx", cs.Warning(glyphReject) + " 4xx", cs.Failure(glyphLimited) + " 429"}
	if c.LimitPerMinute > 0 {
		parts = append(parts, fmt.Sprintf("%s limit (%d/min)", cs.Muted(glyphLimit), c.LimitPerMinute))
	}
	if per > 1 {
		parts = append(parts, cs.Muted("a column is "+FormatBucket(c.Bucket*time.Duration(per))))
	}
	line := ""
	for _, p := range parts { // wrapped to the width
		if line != "" && axis+lipgloss.Width(line)+2+lipgloss.Width(p) > width {
			b.WriteString(strings.Repeat(" ", axis) + line + "\n")
			line = ""
		}
		if line != "" {
			line += "  "
		}
		line += p
	}
	b.WriteString(strings.Repeat(" ", axis) + line + "\n")
	return b.String()
}

// columns sums points into at most room columns, per points each.
func columns(points []ChartPoint, room int) ([]ChartPoint, int) {
	per := (len(points) + room - 1) / room
	per = max(per, 1)
	out := make([]ChartPoint, 0, len(points)/per+1)
	for i := 0; i < len(points); i += per {
		c := ChartPoint{Start: points[i].Start}
		for _, p := range points[i:min(i+per, len(points))] {
			c.OK += p.OK
			c.Rejected += p.Rejected
			c.Limited += p.Limited
		}
		out = append(out, c)
	}
	return out, per
}

// FormatBucket says a bucket width the way people do: "1 min", "20 min",
// "1 h", "1 day".
func FormatBucket(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		if d == 24*time.Hour {
			return "1 day"
		}
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return fmt.Sprintf("%d min", d/time.Minute)
}

func timeLabel(t time.Time, bucket time.Duration, first, last time.Time) string {
	t = t.UTC()
	switch {
	case bucket >= 24*time.Hour:
		return t.Format("Jan 2")
	case last.Sub(first) < 24*time.Hour && first.YearDay() == last.YearDay():
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

// compact writes n with a k or M suffix past four digits.
func compact(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 10_000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// LiveView redraws a block of lines in place on the terminal (keys usage
// --watch): each Draw replaces what the previous one wrote.
type LiveView struct {
	s     *IOStreams
	lines int
}

// NewLiveView returns a view drawing on stdout.
func (s *IOStreams) NewLiveView() *LiveView { return &LiveView{s: s} }

// Draw replaces the previous drawing with text (whole lines).
func (v *LiveView) Draw(text string) {
	var b strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[J", v.lines) // up to the first line, clear to the end
	}
	b.WriteString(text)
	v.lines = rowsAbove(text, v.s.KnownTerminalWidth())
	fmt.Fprint(v.s.Out, b.String())
}

// rowsAbove is how many terminal rows above the cursor text moved it, on a
// terminal w cells wide (0: unknown, a row per line): a line wider than the
// terminal wraps onto more rows (keys rotate's watch line on a narrow
// terminal), and without them in the count a redraw would leave the
// wrapped rows of every earlier drawing on the screen.
func rowsAbove(text string, w int) int {
	n := 0
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		cells := lipgloss.Width(l)
		if w <= 0 || cells == 0 {
			if i < len(lines)-1 {
				n++
			}
			continue
		}
		if i < len(lines)-1 {
			n += (cells + w - 1) / w // the line's rows, then the newline
		} else {
			n += (cells - 1) / w // the rows the cursor's line wrapped onto
		}
	}
	return n
}

// Sparkline draws values as one row of block characters scaled to the
// largest, a zero as a space-like lowest block: the rotation watch's two
// small lines (keys rotate --watch).
func Sparkline(values []int64) string {
	top := int64(0)
	for _, v := range values {
		top = max(top, v)
	}
	var b strings.Builder
	for _, v := range values {
		i := 1
		if v > 0 && top > 0 {
			i = 1 + int((v*int64(len(sparks)-2)+top-1)/top)
		}
		b.WriteRune(sparks[min(i, len(sparks)-1)])
	}
	return b.String()
}

// Checklist states of a step (keys rotate's runbook).
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)

// ChecklistLine is one step of a checklist: ✓ done, … running, ✗ failed,
// · pending or skipped, then its text.
func ChecklistLine(cs *ColorScheme, state, text string) string {
	icon := cs.Muted("·")
	switch state {
	case StepDone:
		icon = cs.SuccessIcon()
	case StepRunning:
		icon = cs.Accent("…")
	case StepFailed:
		icon = cs.FailureIcon()
	}
	return icon + " " + text
}
