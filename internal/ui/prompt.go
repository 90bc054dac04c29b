package ui

import (
	"bufio"
	"fmt"
	"strings"
)

// Prompter asks a person questions on standard error and reads the answers
// from standard input. Every method refuses with ErrNoTerminal when no person
// can answer, so a script can never hang on a prompt.
type Prompter struct {
	io     *IOStreams
	reader *bufio.Reader
	// ReadSecret reads a line without echo; tests replace it.
	ReadSecret func() (string, error)
}

// NewPrompter returns a prompter over the streams.
func NewPrompter(s *IOStreams) *Prompter {
	p := &Prompter{io: s, reader: bufio.NewReader(s.In)}
	p.ReadSecret = p.readHidden
	return p
}

// Input asks for a line of text; an empty answer returns def. It reads
// through the streams' line editor, the one reader of the terminal's keys,
// so that it can follow a list or another prompt of the same command.
func (p *Prompter) Input(label, def string) (string, error) {
	if !p.io.CanPrompt() {
		return "", ErrNoTerminal
	}
	if def != "" {
		label += " " + p.io.ErrColorScheme().Muted("("+def+")")
	}
	line, err := p.io.Editor().ReadText(p.io.Context(), label, "")
	if err != nil {
		return "", err
	}
	if line == "" {
		return def, nil
	}
	return line, nil
}

// Secret asks for a secret without echoing it.
func (p *Prompter) Secret(label string) (string, error) {
	if !p.io.CanPrompt() {
		return "", ErrNoTerminal
	}
	cs := p.io.ErrColorScheme()
	fmt.Fprintf(p.io.ErrOut, "%s %s ", cs.Accent("?"), cs.Bold(label))
	s, err := p.ReadSecret()
	fmt.Fprintln(p.io.ErrOut)
	return strings.TrimSpace(s), err
}

// Confirm asks a yes/no question; def is the answer to an empty line. Any
// other answer is not taken for a no: the question is asked again, saying
// what it expects.
func (p *Prompter) Confirm(label string, def bool) (bool, error) {
	hint := "y/N"
	if def {
		hint = "Y/n"
	}
	for {
		ans, err := p.Input(label+" ["+hint+"]", "")
		if err != nil {
			return false, err
		}
		if yes, ok := YesNo(ans, def); ok {
			return yes, nil
		}
		fmt.Fprintf(p.io.ErrOut, "%s Answer y (yes) or n (no); Enter is %s\n", p.io.ErrColorScheme().FailureIcon(), map[bool]string{true: "yes", false: "no"}[def])
	}
}

// YesNo reads an answer to a yes/no question: y, yes, s, sim (a Brazilian
// answers in Portuguese) or n, no, nao, não, and an empty line as def; ok
// is false for anything else.
func YesNo(answer string, def bool) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "":
		return def, true
	case "y", "yes", "s", "sim":
		return true, true
	case "n", "no", "nao", "não":
		return false, true
	}
	return false, false
}

// readHidden reads a line without showing it, through the streams' line
// editor (raw mode on a terminal: nothing is echoed).
func (p *Prompter) readHidden() (string, error) {
	return p.io.Editor().ReadHidden(p.io.Context())
}
