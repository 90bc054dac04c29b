package ui

import (
	"context"
	"errors"

	"github.com/charmbracelet/huh"
)

// Option is one choice of a question: what the person reads (Label, and a
// Description after it) and what the answer holds (Value).
type Option struct {
	Label, Description, Value string
	// Selected pre-selects the option of a multiple choice.
	Selected bool
}

// Question is one question of a form asked with IOStreams.Ask. It is only
// a description: the form (github.com/charmbracelet/huh) is built when it
// is asked, so that no command pays for it at start-up.
type Question struct {
	build func() huh.Field
}

// TextQuestion asks for a line of text into value (its current content is
// the default); validate, if given, checks each answer.
func TextQuestion(title, description, placeholder string, value *string, validate func(string) error) Question {
	return Question{build: func() huh.Field {
		in := huh.NewInput().Title(title).Description(description).Placeholder(placeholder).Value(value)
		if validate != nil {
			in = in.Validate(validate)
		}
		return in
	}}
}

// ChoiceQuestion asks for one of options into value.
func ChoiceQuestion(title, description string, options []Option, value *string) Question {
	return Question{build: func() huh.Field {
		return huh.NewSelect[string]().Title(title).Description(description).Options(huhOptions(options)...).Value(value)
	}}
}

// MultiChoiceQuestion asks for any of options into value (space toggles,
// enter accepts); validate, if given, checks the choice.
func MultiChoiceQuestion(title, description string, options []Option, value *[]string, validate func([]string) error) Question {
	return Question{build: func() huh.Field {
		m := huh.NewMultiSelect[string]().Title(title).Description(description).Options(huhOptions(options)...).Value(value)
		if validate != nil {
			m = m.Validate(validate)
		}
		return m
	}}
}

func huhOptions(options []Option) []huh.Option[string] {
	out := make([]huh.Option[string], len(options))
	for i, o := range options {
		label := SingleLine(o.Label)
		if o.Description != "" {
			label += "  " + SingleLine(o.Description)
		}
		out[i] = huh.NewOption(label, o.Value).Selected(o.Selected)
	}
	return out
}

// Ask asks the questions one after the other on the terminal (drawn on
// stderr, keys read from stdin). Without a terminal it asks nothing and
// returns ErrNoTerminal; Ctrl-C returns context.Canceled.
func (s *IOStreams) Ask(ctx context.Context, questions ...Question) error {
	if !s.CanPrompt() {
		return ErrNoTerminal
	}
	groups := make([]*huh.Group, len(questions))
	for i, q := range questions {
		groups[i] = huh.NewGroup(q.build())
	}
	theme := huh.ThemeBase()
	if s.ColorEnabledStderr() {
		theme = huh.ThemeCharm()
	}
	form := huh.NewForm(groups...).WithInput(s.In).WithOutput(s.ErrOut).WithTheme(theme).WithShowHelp(true)
	if w := s.KnownTerminalWidth(); w > 0 {
		form = form.WithWidth(min(w, 100))
	}
	err := form.RunWithContext(ctx)
	if errors.Is(err, huh.ErrUserAborted) {
		return context.Canceled
	}
	return err
}
