// Package ui is everything that touches the user's terminal: streams and
// whether they are terminals, the colour scheme, tables, prompts and JSON.
// Commands never write ANSI codes themselves; they ask the ColorScheme.
package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// IOStreams are the three standard streams of a command and what is known
// about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool

	// Env is how the environment is read (NO_COLOR, CLICOLOR_FORCE, TERM).
	Env func(string) (string, bool)

	noColor bool
	// width overrides the terminal's width (tests); 0 asks the terminal.
	width int

	csOnce sync.Once
	cs     *ColorScheme

	errCSOnce sync.Once
	errCS     *ColorScheme

	// live is what is being drawn on stderr (spinner, progress bar).
	live liveLine

	editorOnce sync.Once
	editor     *LineEditor

	// ctx is the command's context: prompts end when it is cancelled.
	ctx context.Context
}

// SetContext makes ctx the context of every prompt on these streams: Ctrl-C
// or SIGTERM, which cancel the command's context, end a prompt too.
func (s *IOStreams) SetContext(ctx context.Context) { s.ctx = ctx }

// Context is the command's context set by SetContext, else Background.
func (s *IOStreams) Context() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// Editor is the line editor of these streams, made on first use: the one
// reader of standard input's keys for every prompt of the command.
func (s *IOStreams) Editor() *LineEditor {
	s.editorOnce.Do(func() { s.editor = newLineEditor(s) })
	return s.editor
}

// System returns the process's streams with their terminal state.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		Env:       os.LookupEnv,
	}
}

// Test returns streams over buffers, none a terminal, for tests.
func Test(in io.Reader, out, errOut io.Writer) *IOStreams {
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Env: func(string) (string, bool) { return "", false }}
}

// SetTTY overrides the terminal state (tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether a person can answer a prompt: both standard
// input and standard error (where prompts are written) are terminals, and
// neither ZUPY_PROMPT_DISABLED nor CI is set (as GH_PROMPT_DISABLED in gh):
// a CI job that runs under a pseudo-terminal must not wait on a question.
// This is the one rule that decides whether zupy prompts.
func (s *IOStreams) CanPrompt() bool {
	return s.stdinTTY && s.stderrTTY && !s.PromptDisabled()
}

// PromptDisabled reports whether ZUPY_PROMPT_DISABLED or CI is set to
// anything but empty, "false" or "0".
func (s *IOStreams) PromptDisabled() bool {
	for _, k := range []string{"ZUPY_PROMPT_DISABLED", "CI"} {
		switch strings.ToLower(strings.TrimSpace(s.env(k))) {
		case "", "false", "0":
		default:
			return true
		}
	}
	return false
}

// SetNoColor turns colour off (the --no-color flag).
func (s *IOStreams) SetNoColor(v bool) { s.noColor = v }

func (s *IOStreams) env(k string) string {
	if s.Env == nil {
		return ""
	}
	v, _ := s.Env(k)
	return v
}

// ColorEnabled says whether stdout output is styled: a terminal, unless
// --no-color or NO_COLOR (any non-empty value, per no-color.org) turns it off; CLICOLOR_FORCE (not "0")
// turns it on for a non-terminal. --no-color and NO_COLOR win over
// CLICOLOR_FORCE.
func (s *IOStreams) ColorEnabled() bool { return s.colorFor(s.stdoutTTY) }

// ColorEnabledStderr is ColorEnabled for standard error.
func (s *IOStreams) ColorEnabledStderr() bool { return s.colorFor(s.stderrTTY) }

func (s *IOStreams) colorFor(tty bool) bool {
	if s.noColor {
		return false
	}
	if s.env("NO_COLOR") != "" {
		return false
	}
	if v := s.env("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	return tty && s.env("TERM") != "dumb"
}

// ColorScheme returns the scheme for standard output, built on first use so
// that commands which print nothing styled never touch lipgloss.
func (s *IOStreams) ColorScheme() *ColorScheme {
	s.csOnce.Do(func() { s.cs = NewColorScheme(s.Out, s.ColorEnabled(), s.env("COLORTERM"), s.env("TERM")) })
	return s.cs
}

// ErrColorScheme is the scheme for standard error, decided by whether
// standard error is a terminal: `zupy login 2>log` must not write escape
// codes into log because stdout happens to be a terminal.
func (s *IOStreams) ErrColorScheme() *ColorScheme {
	s.errCSOnce.Do(func() {
		s.errCS = NewColorScheme(s.ErrOut, s.ColorEnabledStderr(), s.env("COLORTERM"), s.env("TERM"))
	})
	return s.errCS
}

// ErrNoTerminal is returned by prompts when no person can answer.
var ErrNoTerminal = errors.New("no terminal to prompt on")

// TerminalWidth returns the width of stdout when it is a terminal, else 80.
func (s *IOStreams) TerminalWidth() int {
	if w := s.KnownTerminalWidth(); w > 0 {
		return w
	}
	return 80
}

// KnownTerminalWidth returns the width of stdout when it is a terminal
// whose size can be read (or was set with SetTerminalWidth), else 0: what
// is drawn is then not cut to any width.
func (s *IOStreams) KnownTerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if f, ok := s.Out.(*os.File); ok && s.stdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// SetTerminalWidth sets the width of the terminal (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }
