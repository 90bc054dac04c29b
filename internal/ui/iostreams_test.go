package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestColorEnabledMatrix(t *testing.T) {
	for _, tty := range []bool{false, true} {
		for _, noColor := range []string{"", "1"} {
			for _, force := range []string{"", "0", "1"} {
				for _, flag := range []bool{false, true} {
					for _, termName := range []string{"xterm-256color", "dumb"} {
						env := map[string]string{"TERM": termName}
						if noColor != "" {
							env["NO_COLOR"] = noColor
						} else {
							env["NO_COLOR"] = "" // set but empty does not disable colour
						}
						if force != "" {
							env["CLICOLOR_FORCE"] = force
						}
						var want bool
						switch {
						case flag || noColor != "":
							want = false
						case force == "1":
							want = true
						default:
							want = tty && termName != "dumb"
						}
						name := fmt.Sprintf("tty=%v/NO_COLOR=%q/CLICOLOR_FORCE=%q/--no-color=%v/TERM=%s", tty, noColor, force, flag, termName)
						t.Run(name, func(t *testing.T) {
							s := Test(nil, &bytes.Buffer{}, &bytes.Buffer{})
							s.Env = envOf(env)
							s.SetTTY(false, tty, false)
							s.SetNoColor(flag)
							if got := s.ColorEnabled(); got != want {
								t.Errorf("ColorEnabled() = %v, want %v", got, want)
							}
						})
					}
				}
			}
		}
	}
}

func TestColorEnabledStderrFollowsStderrTerminal(t *testing.T) {
	s := Test(nil, &bytes.Buffer{}, &bytes.Buffer{})
	s.Env = envOf(map[string]string{"TERM": "xterm"})
	s.SetTTY(false, false, true)
	if s.ColorEnabled() {
		t.Error("ColorEnabled() = true for a non-terminal stdout")
	}
	if !s.ColorEnabledStderr() {
		t.Error("ColorEnabledStderr() = false for a terminal stderr")
	}
}

func TestColorEnabledWithoutEnvFunc(t *testing.T) {
	s := &IOStreams{}
	s.SetTTY(false, true, false)
	if !s.ColorEnabled() {
		t.Error("a terminal with no environment reader should have colour")
	}
}

func TestCanPromptNeedsStdinAndStderrTerminals(t *testing.T) {
	for _, c := range []struct {
		in, out, err, want bool
	}{
		{true, true, true, true},
		{true, false, true, true},
		{false, true, true, false},
		{true, true, false, false},
		{false, false, false, false},
	} {
		s := Test(nil, nil, nil)
		s.SetTTY(c.in, c.out, c.err)
		if got := s.CanPrompt(); got != c.want {
			t.Errorf("SetTTY(%v,%v,%v).CanPrompt() = %v, want %v", c.in, c.out, c.err, got, c.want)
		}
	}
}

func TestPromptDisabledOrCIStopsPromptsOnATerminal(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"CI": ""}, true},
		{map[string]string{"CI": "false"}, true},
		{map[string]string{"CI": "0"}, true},
		{map[string]string{"CI": "FALSE"}, true},
		{map[string]string{"CI": "true"}, false},
		{map[string]string{"CI": "1"}, false},
		{map[string]string{"CI": "woodpecker"}, false},
		{map[string]string{"ZUPY_PROMPT_DISABLED": "1"}, false},
		{map[string]string{"ZUPY_PROMPT_DISABLED": "yes", "CI": "false"}, false},
		{map[string]string{"ZUPY_PROMPT_DISABLED": "0"}, true},
	} {
		s := Test(nil, nil, nil)
		s.SetTTY(true, true, true)
		env := c.env
		s.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		if got := s.CanPrompt(); got != c.want {
			t.Errorf("env %v: CanPrompt() = %v, want %v", c.env, got, c.want)
		}
	}
}

func TestTestStreamsAreNotTerminals(t *testing.T) {
	s := Test(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	if s.IsStdinTTY() || s.IsStdoutTTY() || s.IsStderrTTY() || s.CanPrompt() || s.ColorEnabled() {
		t.Error("Test streams must not be terminals nor coloured")
	}
	if w := s.TerminalWidth(); w != 80 {
		t.Errorf("TerminalWidth() of a buffer = %d, want 80", w)
	}
}

func TestColorSchemeIsBuiltOnceFromStreams(t *testing.T) {
	s := Test(nil, &bytes.Buffer{}, &bytes.Buffer{})
	s.SetTTY(false, true, false)
	s.SetNoColor(true)
	cs := s.ColorScheme()
	if cs.Enabled() {
		t.Fatal("ColorScheme of --no-color streams is enabled")
	}
	if s.ColorScheme() != cs {
		t.Error("ColorScheme() built a second scheme")
	}
}
