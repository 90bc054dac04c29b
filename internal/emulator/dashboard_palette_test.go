package emulator

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The dashboard's colours come from one palette (custom properties in
// style.css), light and dark; every pair of text and background the page
// uses must reach WCAG AA's 4.5:1.
func TestDashboardPaletteHasEnoughContrast(t *testing.T) {
	css, err := uiFiles.ReadFile("ui/style.css")
	if err != nil {
		t.Fatal(err)
	}
	src := string(css)
	dark := strings.Index(src, "@media (prefers-color-scheme: dark)")
	if dark < 0 {
		t.Fatal("style.css has no dark scheme")
	}
	light, darkVars := palette(t, src[:dark]), palette(t, src[dark:])
	pairs := [][2]string{
		{"text", "bg"}, {"text", "surface"}, {"muted", "bg"}, {"muted", "surface"},
		{"accent", "surface"}, {"accent-text", "accent"}, {"ok", "surface"}, {"warn", "surface"},
		{"bad", "surface"}, {"text", "new"},
	}
	for scheme, vars := range map[string]map[string]string{"light": light, "dark": darkVars} {
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Fatalf("%s: --%s or --%s missing", scheme, p[0], p[1])
			}
			if r := contrast(t, fg, bg); r < 4.5 {
				t.Errorf("%s: --%s %s on --%s %s has contrast %.2f, want at least 4.5", scheme, p[0], fg, p[1], bg, r)
			}
		}
	}
	// One palette: no colour written outside the custom properties.
	rules := regexp.MustCompile(`--[a-z-]+:\s*#[0-9a-fA-F]{6};`).ReplaceAllString(src, "")
	if m := regexp.MustCompile(`#[0-9a-fA-F]{3,6}\b`).FindString(rules); m != "" {
		t.Errorf("style.css uses the colour %s outside the palette", m)
	}
}

// palette reads the first block of "--name: #rrggbb;" declarations in css.
func palette(t *testing.T, css string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6});`).FindAllStringSubmatch(css, -1) {
		if _, seen := out[m[1]]; !seen {
			out[m[1]] = m[2]
		}
	}
	return out
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %s: %v", hex, err)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}
