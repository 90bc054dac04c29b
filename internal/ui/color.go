package ui

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// The theme: ANSI colour numbers, used nowhere else.
const (
	colorBlack   = lipgloss.Color("0")
	colorRed     = lipgloss.Color("1")
	colorGreen   = lipgloss.Color("2")
	colorYellow  = lipgloss.Color("3")
	colorCyan    = lipgloss.Color("6")
	colorGrey    = lipgloss.Color("8")
	colorWarning = colorYellow // warnings, and the border of a card with a secret
)

// ColorScheme styles text for one output stream. With colour disabled every
// method returns its input unchanged, so plain output never carries ANSI.
type ColorScheme struct {
	enabled bool
	r       *lipgloss.Renderer

	bold, muted, success, warning, failure, accent, secret, header lipgloss.Style
}

// NewColorScheme builds a scheme writing to w. The colour profile is derived
// from COLORTERM and TERM and the background is assumed dark, so lipgloss
// never queries the terminal (no OSC round trip at start-up).
func NewColorScheme(w io.Writer, enabled bool, colorterm, termName string) *ColorScheme {
	cs := &ColorScheme{enabled: enabled}
	if !enabled {
		return cs
	}
	r := lipgloss.NewRenderer(w)
	profile := termenv.ANSI
	switch {
	case colorterm == "truecolor" || colorterm == "24bit":
		profile = termenv.TrueColor
	case strings.Contains(termName, "256color"):
		profile = termenv.ANSI256
	}
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true)
	cs.r = r
	cs.bold = r.NewStyle().Bold(true)
	cs.muted = r.NewStyle().Foreground(colorGrey)
	cs.success = r.NewStyle().Foreground(colorGreen)
	cs.warning = r.NewStyle().Foreground(colorWarning)
	cs.failure = r.NewStyle().Foreground(colorRed)
	cs.accent = r.NewStyle().Foreground(colorCyan)
	cs.secret = r.NewStyle().Bold(true).Foreground(colorBlack).Background(colorWarning)
	cs.header = r.NewStyle().Bold(true).Underline(true)
	return cs
}

// Enabled reports whether the scheme styles anything.
func (c *ColorScheme) Enabled() bool { return c.enabled }

// Renderer is the lipgloss renderer for composite layouts (cards); nil when
// colour is off.
func (c *ColorScheme) Renderer() *lipgloss.Renderer { return c.r }

func (c *ColorScheme) apply(st lipgloss.Style, s string) string {
	if !c.enabled {
		return s
	}
	return st.Render(s)
}

func (c *ColorScheme) Bold(s string) string    { return c.apply(c.bold, s) }
func (c *ColorScheme) Muted(s string) string   { return c.apply(c.muted, s) }
func (c *ColorScheme) Success(s string) string { return c.apply(c.success, s) }
func (c *ColorScheme) Warning(s string) string { return c.apply(c.warning, s) }
func (c *ColorScheme) Failure(s string) string { return c.apply(c.failure, s) }
func (c *ColorScheme) Accent(s string) string  { return c.apply(c.accent, s) }
func (c *ColorScheme) Secret(s string) string  { return c.apply(c.secret, s) }
func (c *ColorScheme) Header(s string) string  { return c.apply(c.header, s) }

// SuccessIcon, WarningIcon and FailureIcon are status marks; plain text
// gets ASCII-free but unstyled symbols.
func (c *ColorScheme) SuccessIcon() string { return c.Success("✓") }
func (c *ColorScheme) WarningIcon() string { return c.Warning("!") }
func (c *ColorScheme) FailureIcon() string { return c.Failure("✗") }
