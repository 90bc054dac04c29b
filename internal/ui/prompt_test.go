package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// failReader fails the test if anything reads it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("the prompter read standard input without a terminal")
	return 0, io.EOF
}

func promptStreams(in io.Reader) (*IOStreams, *bytes.Buffer) {
	var errOut bytes.Buffer
	s := Test(in, &bytes.Buffer{}, &errOut)
	s.SetTTY(true, true, true)
	s.SetNoColor(true)
	return s, &errOut
}

func TestPrompterRefusesWithoutTerminal(t *testing.T) {
	for _, tty := range [][3]bool{{false, false, false}, {true, true, false}, {false, true, true}} {
		var errOut bytes.Buffer
		s := Test(failReader{t}, &bytes.Buffer{}, &errOut)
		s.SetTTY(tty[0], tty[1], tty[2])
		p := NewPrompter(s)
		p.ReadSecret = func() (string, error) {
			t.Error("ReadSecret called without a terminal")
			return "", nil
		}
		if _, err := p.Input("Email", "x"); !errors.Is(err, ErrNoTerminal) {
			t.Errorf("Input: err = %v, want ErrNoTerminal", err)
		}
		if _, err := p.Secret("Code"); !errors.Is(err, ErrNoTerminal) {
			t.Errorf("Secret: err = %v, want ErrNoTerminal", err)
		}
		if ok, err := p.Confirm("Revoke?", true); !errors.Is(err, ErrNoTerminal) || ok {
			t.Errorf("Confirm = %v, %v; want false, ErrNoTerminal", ok, err)
		}
		if errOut.Len() != 0 {
			t.Errorf("prompt written without a terminal: %q", errOut.String())
		}
	}
}

func TestInputReturnsAnswerOrDefaultOnEmptyLine(t *testing.T) {
	s, errOut := promptStreams(strings.NewReader("\n  dev@example.com  \r\nlast"))
	p := NewPrompter(s)
	got, err := p.Input("Email", "me@example.com")
	if err != nil || got != "me@example.com" {
		t.Errorf("empty line: %q, %v; want the default", got, err)
	}
	if !strings.Contains(errOut.String(), "? Email (me@example.com) ") {
		t.Errorf("prompt %q does not show the label and default", errOut.String())
	}
	if got, err = p.Input("Email", "me@example.com"); err != nil || got != "dev@example.com" {
		t.Errorf("answer: %q, %v; want the trimmed answer", got, err)
	}
	if got, err = p.Input("Name", ""); err != nil || got != "last" {
		t.Errorf("unterminated last line: %q, %v; want it", got, err)
	}
	if _, err = p.Input("Name", "d"); !errors.Is(err, context.Canceled) {
		t.Errorf("at end of input: err = %v, want context.Canceled (not the default)", err)
	}
}

func TestConfirmAnswers(t *testing.T) {
	for _, c := range []struct {
		line string
		def  bool
		want bool
	}{
		{"y\n", false, true},
		{"Y\n", false, true},
		{"yes\n", false, true},
		{"YES\n", false, true},
		{"n\n", true, false},
		{"no\n", true, false},
		{"maybe\nn\n", true, false},
		{"maybe\ny\n", false, true},
		{"\n", true, true},
		{"\n", false, false},
	} {
		s, errOut := promptStreams(strings.NewReader(c.line))
		got, err := NewPrompter(s).Confirm("Revoke key_1?", c.def)
		if err != nil || got != c.want {
			t.Errorf("Confirm(def=%v) on %q = %v, %v; want %v", c.def, c.line, got, err, c.want)
		}
		hint := "[y/N]"
		if c.def {
			hint = "[Y/n]"
		}
		if strings.HasPrefix(c.line, "maybe") && !strings.Contains(errOut.String(), "Answer y (yes) or n (no)") {
			t.Errorf("an answer that is neither y nor n was not told what is expected: %q", errOut.String())
		}
		if !strings.Contains(errOut.String(), "Revoke key_1? "+hint) {
			t.Errorf("prompt %q lacks %s", errOut.String(), hint)
		}
	}
}

func TestSecretUsesReadSecretAndTrims(t *testing.T) {
	s, errOut := promptStreams(failReader{t})
	p := NewPrompter(s)
	calls := 0
	p.ReadSecret = func() (string, error) {
		calls++
		return "  zup_live_sk_abc \n", nil
	}
	got, err := p.Secret("API key")
	if err != nil || got != "zup_live_sk_abc" {
		t.Errorf("Secret = %q, %v; want the trimmed secret", got, err)
	}
	if calls != 1 {
		t.Errorf("ReadSecret called %d times, want 1", calls)
	}
	if strings.Contains(errOut.String(), "zup_live") {
		t.Errorf("secret echoed to stderr: %q", errOut.String())
	}
	if !strings.HasSuffix(errOut.String(), "\n") {
		t.Errorf("no newline after the hidden input: %q", errOut.String())
	}
}

func TestSecretFromNonTerminalReaderReadsOneLine(t *testing.T) {
	// stdin is a pipe that claims to be a terminal (tests): the default
	// ReadSecret falls back to reading a line.
	s, _ := promptStreams(strings.NewReader("123456\r\nrest\n"))
	p := NewPrompter(s)
	got, err := p.Secret("Code")
	if err != nil || got != "123456" {
		t.Errorf("Secret = %q, %v; want 123456", got, err)
	}
	if next, _ := p.Input("Next", ""); next != "rest" {
		t.Errorf("the secret read consumed more than its line: next = %q", next)
	}
}
