package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The forms of gh-style prompting: a question for each missing input,
// asked one after the other on a terminal, each answer checked as it is
// given. They are drawn by the line editor (this package's raw-mode reader),
// not by a TUI library: github.com/charmbracelet/huh was tried, but its
// Bubble Tea v1 queries the terminal's background colour from a package
// init, in every zupy command that has a terminal, scripts included.

// Option is one choice of a question: what the person reads (Label, and a
// Description after it) and what the answer holds (Value).
type Option struct {
	Label, Description, Value string
	// Selected pre-selects the option of a multiple choice.
	Selected bool
}

// Question is one question of a form asked with IOStreams.Ask.
type Question struct {
	ask func(ctx context.Context, e *LineEditor) error
}

// TextQuestion asks for a line of text into value (its current content is
// typed already, and can be erased); validate, if given, checks each
// answer, and a refused one is asked again with the reason.
func TextQuestion(title, description, placeholder string, value *string, validate func(string) error) Question {
	return Question{ask: func(ctx context.Context, e *LineEditor) error {
		e.say(title, description, placeholder)
		for {
			ans, err := e.ReadText(ctx, title+":", *value)
			if err != nil {
				return err
			}
			if validate != nil {
				if verr := validate(ans); verr != nil {
					fmt.Fprintf(e.out, "%s %s\r\n", e.cs.FailureIcon(), verr)
					continue
				}
			}
			*value = ans
			return nil
		}
	}}
}

// ChoiceQuestion asks for one of options into value (the arrow keys move,
// Enter picks); the option holding the current value is where it starts.
func ChoiceQuestion(title, description string, options []Option, value *string) Question {
	return Question{ask: func(ctx context.Context, e *LineEditor) error {
		e.say("", description, "")
		cursor := 0
		for i, o := range options {
			if o.Value == *value {
				cursor = i
			}
		}
		i, _, err := e.choose(ctx, title, options, false, cursor, nil)
		if err != nil {
			return err
		}
		*value = options[i].Value
		return nil
	}}
}

// MultiChoiceQuestion asks for any of options into value (Space toggles,
// Enter accepts); validate, if given, checks the choice.
func MultiChoiceQuestion(title, description string, options []Option, value *[]string, validate func([]string) error) Question {
	return Question{ask: func(ctx context.Context, e *LineEditor) error {
		e.say("", description, "")
		_, picked, err := e.choose(ctx, title, options, true, 0, validate)
		if err != nil {
			return err
		}
		*value = picked
		return nil
	}}
}

// Ask asks the questions one after the other on the terminal (drawn on
// stderr, keys read from stdin). Without a terminal it asks nothing and
// returns ErrNoTerminal; Ctrl-C returns context.Canceled.
func (s *IOStreams) Ask(ctx context.Context, questions ...Question) error {
	if !s.CanPrompt() {
		return ErrNoTerminal
	}
	e := s.Editor()
	for _, q := range questions {
		if err := q.ask(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// say writes the muted line that explains a question, with its example.
func (e *LineEditor) say(_, description, example string) {
	if description == "" {
		return
	}
	if example != "" {
		description += " (e.g. " + example + ")"
	}
	fmt.Fprintf(e.out, "%s\r\n", e.cs.Muted(SingleLine(description)))
}

// choose draws the options under "? title" and lets the person move (up
// and down, or k and j), toggle (Space, for multi) and accept (Enter). It
// returns the option under the cursor and, for multi, the values chosen.
func (e *LineEditor) choose(ctx context.Context, title string, options []Option, multi bool, cursor int, validate func([]string) error) (int, []string, error) {
	restore := e.raw()
	defer restore()
	chosen := make([]bool, len(options))
	for i, o := range options {
		chosen[i] = o.Selected
	}
	values := func() []string {
		var out []string
		for i, o := range options {
			if chosen[i] {
				out = append(out, o.Value)
			}
		}
		return out
	}
	help := "↑/↓ move, Enter picks"
	if multi {
		help = "↑/↓ move, Space selects, Enter accepts"
	}
	drawn, note := 0, ""
	for {
		lines := []string{fmt.Sprintf("%s %s %s", e.cs.Accent("?"), e.cs.Bold(title), e.cs.Muted(help))}
		for i, o := range options {
			mark := "  "
			if i == cursor {
				mark = e.cs.Accent("❯") + " "
			}
			box := ""
			if multi {
				box = "[ ] "
				if chosen[i] {
					box = e.cs.Success("[x]") + " "
				}
			}
			text := SingleLine(o.Label)
			if o.Description != "" {
				text += "  " + e.cs.Muted(SingleLine(o.Description))
			}
			lines = append(lines, mark+box+text)
		}
		if note != "" {
			lines = append(lines, e.cs.Failure(note))
		}
		drawn = e.drawBlock(lines, drawn)
		b, err := e.next(ctx, nil)
		if err != nil {
			e.drawBlock(nil, drawn)
			return 0, nil, err
		}
		note = ""
		switch b {
		case KeyUp, 'k':
			cursor = (cursor - 1 + len(options)) % len(options)
		case KeyDown, 'j':
			cursor = (cursor + 1) % len(options)
		case ' ', 'x':
			if multi {
				chosen[cursor] = !chosen[cursor]
			}
		case '\r', '\n':
			answer := SingleLine(options[cursor].Label)
			if multi {
				if validate != nil {
					if verr := validate(values()); verr != nil {
						note = verr.Error()
						continue
					}
				}
				answer = strings.Join(values(), ", ")
			}
			// The list folds into the answer, as a line of text would.
			e.drawBlock([]string{fmt.Sprintf("%s %s %s", e.cs.Accent("?"), e.cs.Bold(title+":"), answer)}, drawn)
			fmt.Fprint(e.out, "\r\n")
			return cursor, values(), nil
		}
	}
}

// drawBlock replaces the drawn rows (drawn of them, the cursor on the last)
// with lines, each kept to one row, and returns how many rows it drew.
func (e *LineEditor) drawBlock(lines []string, drawn int) int {
	var b strings.Builder
	b.WriteString("\r")
	if drawn > 1 {
		fmt.Fprintf(&b, "\x1b[%dA", drawn-1)
	}
	b.WriteString("\x1b[J") // clear to the end of the screen
	w := e.width()
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\r\n")
		}
		if w > 1 && ansi.StringWidth(l) > w-1 {
			l = ansi.Truncate(l, w-1, "…")
		}
		b.WriteString(l)
	}
	fmt.Fprint(e.out, b.String())
	return len(lines)
}
