package ui

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/muesli/termenv"
)

// recorder is a writer that remembers every write, to prove nothing was sent
// to the terminal (such as an OSC background-colour query).
type recorder struct {
	mu     sync.Mutex
	writes [][]byte
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes)
}

var ansiSeq = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansiSeq.ReplaceAllString(s, "") }

type styler struct {
	name string
	fn   func(*ColorScheme, string) string
}

var stylers = []styler{
	{"Bold", (*ColorScheme).Bold},
	{"Muted", (*ColorScheme).Muted},
	{"Success", (*ColorScheme).Success},
	{"Warning", (*ColorScheme).Warning},
	{"Failure", (*ColorScheme).Failure},
	{"Accent", (*ColorScheme).Accent},
	{"Secret", (*ColorScheme).Secret},
	{"Header", (*ColorScheme).Header},
}

func TestDisabledColorSchemeReturnsInputUnchanged(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "truecolor", "xterm-256color")
	if cs.Enabled() || cs.Renderer() != nil {
		t.Fatal("disabled scheme reports itself enabled or has a renderer")
	}
	in := "key_abc123 <name> ✓"
	for _, s := range stylers {
		if got := s.fn(cs, in); got != in {
			t.Errorf("%s(%q) = %q, want the input unchanged", s.name, in, got)
		}
	}
	for name, icon := range map[string]string{"SuccessIcon": cs.SuccessIcon(), "WarningIcon": cs.WarningIcon(), "FailureIcon": cs.FailureIcon()} {
		if strings.Contains(icon, "\x1b") {
			t.Errorf("%s() = %q carries ANSI with colour off", name, icon)
		}
	}
}

func TestEnabledColorSchemeAddsANSIEvenToANonTerminal(t *testing.T) {
	// The writer is a buffer, which lipgloss alone would treat as plain
	// ASCII; the scheme must style anyway because colour was decided by the
	// caller (e.g. CLICOLOR_FORCE).
	cs := NewColorScheme(&bytes.Buffer{}, true, "", "xterm")
	for _, s := range stylers {
		got := s.fn(cs, "text")
		if !strings.Contains(got, "\x1b[") || stripANSI(got) != "text" {
			t.Errorf("%s(%q) = %q, want the text wrapped in ANSI", s.name, "text", got)
		}
	}
	if got := cs.Failure("x"); !strings.Contains(got, "31") {
		t.Errorf("Failure = %q, want red (31)", got)
	}
}

func TestNewColorSchemeNeverQueriesTheTerminal(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		w := &recorder{}
		cs := NewColorScheme(w, enabled, "", "xterm-256color")
		if n := w.count(); n != 0 {
			t.Fatalf("enabled=%v: %d writes while building the scheme: %q", enabled, n, w.writes)
		}
		for _, s := range stylers {
			s.fn(cs, "x")
		}
		cs.SuccessIcon()
		if enabled {
			// Anything lipgloss would have to ask the terminal must already be
			// decided.
			if !cs.Renderer().HasDarkBackground() {
				t.Error("scheme does not assume a dark background")
			}
		}
		if n := w.count(); n != 0 {
			t.Fatalf("enabled=%v: %d writes while styling: %q", enabled, n, w.writes)
		}
	}
}

func TestColorSchemeProfileFromColortermAndTerm(t *testing.T) {
	for _, c := range []struct {
		colorterm, term string
		want            termenv.Profile
	}{
		{"truecolor", "xterm", termenv.TrueColor},
		{"24bit", "xterm-256color", termenv.TrueColor},
		{"", "xterm-256color", termenv.ANSI256},
		{"", "xterm", termenv.ANSI},
		{"", "", termenv.ANSI},
	} {
		cs := NewColorScheme(&bytes.Buffer{}, true, c.colorterm, c.term)
		if got := cs.Renderer().ColorProfile(); got != c.want {
			t.Errorf("COLORTERM=%q TERM=%q: profile %v, want %v", c.colorterm, c.term, got, c.want)
		}
	}
}
