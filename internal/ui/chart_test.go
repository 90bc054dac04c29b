package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
)

func minutes(n int, f func(i int) ChartPoint) []ChartPoint {
	start := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	out := make([]ChartPoint, n)
	for i := range out {
		out[i] = f(i)
		out[i].Start = start.Add(time.Duration(i) * time.Minute)
	}
	return out
}

// The chart fits the width it is given, sums points into columns when
// they do not fit, scales the limit line to a column, and tells the three
// classes apart without colour.
func TestUsageChartFitsTheWidthAndDrawsTheLimit(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	pts := minutes(1440, func(i int) ChartPoint { return ChartPoint{OK: int64(i % 90), Rejected: 2, Limited: int64(i % 7 / 6)} })
	for _, width := range []int{40, 80, 120, 200} {
		out := RenderUsageChart(cs, UsageChart{Points: pts, Bucket: time.Minute, LimitPerMinute: 100,
			Lines: []ChartLine{{Label: "key_0123456789ab revoked", Points: pts}}}, width)
		for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if w := lipgloss.Width(line); w > width {
				t.Errorf("width %d: line of %d columns: %q", width, w, line)
			}
		}
		for _, want := range []string{glyphOK, glyphReject, glyphLimited, glyphLimit + " limit", "limit (100/min)", "14:00", "a column is"} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: no %q in\n%s", width, want, out)
			}
		}
	}
	// 1440 minutes in the 66 columns left at 80: 22 minutes a column, so
	// the line stands at 2,200 requests.
	if out := RenderUsageChart(cs, UsageChart{Points: pts, Bucket: time.Minute, LimitPerMinute: 100}, 80); !strings.Contains(out, "2200 ┤") {
		t.Errorf("limit line not scaled to a 22-minute column:\n%s", out)
	}
	few := minutes(10, func(i int) ChartPoint { return ChartPoint{OK: 5} })
	out := RenderUsageChart(cs, UsageChart{Points: few, Bucket: time.Minute, LimitPerMinute: 10}, 80)
	if !strings.Contains(out, strings.Repeat(glyphOK, 30)) || strings.Contains(out, "a column is") {
		t.Errorf("ten points should be widened, one minute a column:\n%s", out)
	}
	if out := RenderUsageChart(cs, UsageChart{}, 80); !strings.Contains(out, "no data") {
		t.Errorf("empty chart: %q", out)
	}
}

func TestSparklineScalesToTheLargest(t *testing.T) {
	if got := Sparkline([]int64{0, 1, 2, 4}); got != "▁▃▅█" {
		t.Errorf("Sparkline = %q, want ▁▃▅█", got)
	}
	if got := Sparkline([]int64{0, 0}); got != "▁▁" {
		t.Errorf("Sparkline of zeros = %q", got)
	}
}

// A redraw goes up every row the last drawing took, its wrapped rows too:
// on a narrow terminal a long watch line takes several, and going up one a
// line left the others of each earlier drawing on the screen.
func TestLiveViewRedrawGoesUpTheWrappedRows(t *testing.T) {
	var out bytes.Buffer
	s := Test(strings.NewReader(""), &out, &bytes.Buffer{})
	s.SetTerminalWidth(10)
	v := s.NewLiveView()
	v.Draw("\x1b[32m✓\x1b[0m watch: 0 of 1 requests\nrevoke\n") // 24 cells (3 rows) and 1 row
	out.Reset()
	v.Draw("x\n")
	if got := out.String(); !strings.HasPrefix(got, "\x1b[4A\r\x1b[J") {
		t.Fatalf("redraw %q; want it to go up 4 rows first", got)
	}
	for _, c := range []struct {
		text  string
		width int
		want  int
	}{
		{"0123456789\n", 10, 1}, // exactly the width: one row
		{"0123456789a\n", 10, 2},
		{"ab\ncd", 10, 1},        // the cursor stays on the last line
		{"0123456789abc", 10, 1}, // which wrapped once
		{"0123456789abc\n", 0, 1},
		{"\n\n", 10, 2},
	} {
		if got := rowsAbove(c.text, c.width); got != c.want {
			t.Errorf("rowsAbove(%q, %d) = %d, want %d", c.text, c.width, got, c.want)
		}
	}
}
