package ui

import (
	"bytes"
	"strings"
	"testing"
)

func TestCardWithoutColourIsPlainAndBordered(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	card := Card{Title: "Created", Fields: []Field{{Label: "Key ID", Value: "key_1"}, {}, {Label: "Secret", Value: "s\x1b[2Jx", Style: cs.Secret}},
		Warning: "Store it now.", Notes: []string{"Saved"}}.Render(cs)
	if strings.Contains(card, "\x1b") {
		t.Errorf("card has an escape character:\n%q", card)
	}
	for _, want := range []string{"╭", "╯", "✓ Created", "Key ID  key_1", "Secret  s[2Jx", "! Store it now.", "Saved"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
}

func TestCardWithColourDrawsItsBorderInTheWarningColour(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, true, "", "xterm-256color")
	card := Card{Title: "Created", Fields: []Field{{Label: "Secret", Value: "abc", Style: cs.Secret}}}.Render(cs)
	if !strings.Contains(card, cs.Secret("abc")) || !strings.Contains(card, "\x1b[33m╭") {
		t.Errorf("card:\n%q", card)
	}
}

func TestRenderFieldsAlignsValues(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	got := RenderFields(cs, []Field{{Label: "Name", Value: "a"}, {Label: "Environment", Value: "b"}})
	if want := "Name         a\nEnvironment  b"; got != want {
		t.Errorf("RenderFields = %q, want %q", got, want)
	}
}

// A fix command wrapped to the terminal must break between its words only:
// cut inside `--allow-ip`, the copied command would not run.
func TestRenderFieldsWidthNeverBreaksAtAHyphen(t *testing.T) {
	cs := NewColorScheme(&bytes.Buffer{}, false, "", "")
	fix := "zupy keys update key_0a1b2c3d4e5f --allow-ip 203.0.113.7 --allow-ip 198.51.100.0/24"
	for width := 24; width <= 90; width++ {
		got := RenderFieldsWidth(cs, []Field{{Label: "evidence", Value: "x"}, {Label: "fix", Value: fix}}, width)
		var words []string
		for _, line := range strings.Split(got, "\n")[1:] {
			if w := len([]rune(line)); w > width {
				t.Errorf("width %d: line %q is %d wide", width, line, w)
			}
			words = append(words, strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "fix"))...)
		}
		if strings.Join(words, " ") != fix {
			t.Errorf("width %d: the command came out as %q:\n%s", width, strings.Join(words, " "), got)
		}
	}
}

func TestWrapLinesCutsOnlyAWordLongerThanALine(t *testing.T) {
	got := wrapLines("ab cdefghij k", 4, " ")
	want := []string{"ab", "cdef", "ghij", "k"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrapLines = %q, want %q", got, want)
	}
	if got := wrapLines("", 10, " "); len(got) != 1 || got[0] != "" {
		t.Errorf("wrapLines of nothing = %q, want one empty line", got)
	}
}
