package ui

import "testing"

func TestSanitizersShareOneDefinitionOfUnsafe(t *testing.T) {
	const in = "a\u001b]0;T\u0007b\u009bc\u202ed\te\nf\x9bg"
	if got, want := SingleLine(in), "a]0;Tbcd e f\ufffdg"; got != want {
		t.Errorf("SingleLine = %q, want %q", got, want)
	}
	if got, want := Lines(in), "a]0;Tbcd e\nf\ufffdg"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if got, want := Escape(in), `a\x1b]0;T\x07b\u009bc\u202ed`+"\te\n"+`f\x9bg`; got != want {
		t.Errorf("Escape = %q, want %q", got, want)
	}
	if got, want := string(EscapeJSON([]byte("{\"k\": \"x\u009by\u2066z\"}"))), `{"k": "x\u009by\u2066z"}`; got != want {
		t.Errorf("EscapeJSON = %q, want %q", got, want)
	}
}
