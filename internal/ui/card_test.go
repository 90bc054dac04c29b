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
