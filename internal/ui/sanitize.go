package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The one definition of what text from outside (a server's answer, a file,
// a flag's value) may not put on a terminal: C0 controls (ESC, BEL, CR…),
// DEL, C1 controls (U+0080–U+009F, among them the one-character CSI
// U+009B), and the bidirectional controls that reorder a line as it is
// shown (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). Every string
// drawn goes through SingleLine, Lines or Escape, which share it
// (docs/security-model.md#the-servers-strings).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f':
		return true
	}
	return false
}

// SingleLine keeps text on one line and inert on a terminal: tabs and line
// breaks become spaces, every other unsafe character is dropped, and a byte
// that is not UTF-8 becomes U+FFFD, so a key name can neither break a
// table nor inject escape sequences nor visually reorder a line. Tables,
// cards and messages draw every value through it.
func SingleLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			return ' '
		case unsafeRune(r):
			return -1
		}
		return r
	}, s)
}

// Lines is SingleLine for text of several lines: each line is cleaned and
// the line breaks are kept.
func Lines(s string) string {
	if !strings.Contains(s, "\n") {
		return SingleLine(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = SingleLine(l)
	}
	return strings.Join(lines, "\n")
}

// Escape shows text that must be seen as it is (a raw HTTP body or header
// on a terminal) without letting it act: line breaks and tabs stay, every
// other unsafe character is written as a Go escape (\x1b, \u009b, \u202e)
// and a byte that is not UTF-8 as \xNN.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// EscapeJSON writes the characters JSON lets through raw that a terminal
// would act on (C1 and bidirectional controls: encoding/json escapes only
// C0) as \u escapes. They can only stand inside strings, so the document
// means the same.
func EscapeJSON(doc []byte) []byte {
	s := string(doc)
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && unsafeRune(r) }) {
		return doc
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 && unsafeRune(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return []byte(b.String())
}
