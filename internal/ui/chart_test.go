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
