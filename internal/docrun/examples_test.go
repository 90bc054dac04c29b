package docrun

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func texts(cs []Command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Text)
	}
	return out
}

func TestParseExampleJoinsContinuationsAndMarksWhatDoesNotRun(t *testing.T) {
	b := ParseExample("x --help", `  # a comment
  zupy login                 # on a terminal
  zupy keys create --name A \
      --scopes loyalty:read
  zupy emulator otp |
      zupy login --code-stdin
  zupy keys show key_nope    # exit 7

  zupy emulator start        # until Ctrl-C`)
	want := []string{"zupy keys create --name A \\\n--scopes loyalty:read", "zupy emulator otp |\nzupy login --code-stdin", "zupy keys show key_nope    # exit 7"}
	if got := texts(b.Run()); !slices.Equal(got, want) {
		t.Errorf("Run() = %q, want %q", got, want)
	}
	if b.Run()[2].Exit != 7 {
		t.Errorf("# exit 7: Exit = %d", b.Run()[2].Exit)
	}
	shown := b.Shown()
	if len(shown) != 2 || !strings.Contains(shown[0], "(on a terminal)") || !strings.Contains(shown[1], "(until Ctrl-C)") {
		t.Errorf("Shown() = %q", shown)
	}
}

// TestBothParsersMarkNotRunTheSameWay: a trailing "# on a terminal" in a
// guide's block is read as in a help example, and a norun block marks each
// of its commands.
func TestBothParsersMarkNotRunTheSameWay(t *testing.T) {
	blocks, err := Parse([]byte("```sh\nzupy login   # on a terminal\nzupy version\n```\n\n```sh norun\nsudo dpkg -i zupy.deb\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	ex := ParseExample("x --help", "zupy login   # on a terminal\nzupy version")
	if got, want := blocks[0].Shown(), ex.Shown(); !slices.Equal(got, want) || len(got) != 1 {
		t.Errorf("Markdown shows %q, the example %q", got, want)
	}
	if got := texts(blocks[0].Run()); !slices.Equal(got, texts(ex.Run())) {
		t.Errorf("Markdown runs %q, the example %q", got, texts(ex.Run()))
	}
	if len(blocks[1].Run()) != 0 || blocks[1].Commands[0].NoRun != "norun block" {
		t.Errorf("norun block: %+v", blocks[1])
	}
}

// TestExamplesRunStopsAtTheFirstFailingLine: the error names the block, the
// line and its exit status; the lines after it do not run; a variable
// carries from one line to the next.
func TestExamplesRunStopsAtTheFirstFailingLine(t *testing.T) {
	s := NewExamples(t, "/bin/true")
	err := s.Run(context.Background(), ParseExample("demo", "A=1\ntest \"$A\" = 1\nsh -c 'exit 3'\necho never"))
	if err == nil {
		t.Fatal("a block with a failing line ran clean")
	}
	msg := err.Error()
	if !strings.Contains(msg, "demo:") || !strings.Contains(msg, "line 3 exited 3, not 0") || strings.Contains(msg, "$ echo never") {
		t.Errorf("error = %s", msg)
	}
	if err := s.Run(context.Background(), ParseExample("ok", "export A=1\ntest \"$A\" = 1\nsh -c 'exit 7'   # exit 7")); err != nil {
		t.Errorf("a clean block failed: %v", err)
	}
}
