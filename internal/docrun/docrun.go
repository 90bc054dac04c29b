// Package docrun runs the shell commands that documentation shows, so that
// a guide or a help page cannot drift from the program. Only tests import it.
//
// Two parsers read the two kinds of documentation into one Block type:
//
//   - Parse reads the fenced blocks of a Markdown file (README.md, docs/).
//     ```console blocks hold a terminal transcript: lines starting with
//     "$ " are commands, the other lines are output the command must print,
//     in order, as a person on a terminal sees it (see MatchLines for what
//     may differ: "…" stands for any text, fresh ids and times for any of
//     their shape); blank lines are ignored; lines may be left out. ```sh
//     and ```bash blocks hold commands only ("#" lines are comments); their
//     output is not checked.
//   - ParseExample reads the Example text of a help page (cobra's Example):
//     commands only, as in a ```sh block.
//
// In both, a command continues on the next line after a trailing "\", "|"
// or "&&", and must exit 0 unless it ends with the comment "# exit N".
//
// What is shown but not run is marked one way, read by both parsers into
// Command.NoRun: a trailing comment naming why ("# on a terminal", "# until
// Ctrl-C", "# your tests", "# norun"), and, for a whole Markdown block, the
// same word in its info string (```sh norun): it needs the network, a
// package manager, a person at the keyboard.
//
// Commands run in a Sandbox: a fresh HOME, zupy on PATH, nothing sent off
// the machine. A Session runs a guide's commands one after another in bash
// under a pseudo-terminal (util-linux script(1)), so that programs draw what
// they draw for a person; the variables one command sets carry to the next,
// as in one shell. A help page's example runs as one bash script in a
// Sandbox with an emulator and a logged-in profile (RunExample).
package docrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Block is one piece of documentation's shell: a fenced Markdown block or a
// help page's Example.
type Block struct {
	Source   string    // where it comes from, for messages: "zupy keys create --help"
	Line     int       // of the opening fence, 1-based (Markdown)
	Lang     string    // "console", "sh", "bash", …
	NoRun    bool      // the info string says norun: every command is shown, not run
	Commands []Command // empty for other languages
	Body     string    // the lines between the fences, as written (Markdown)
}

// Command is one command of a block with what it is expected to do.
type Command struct {
	Line   int      // 1-based line in its document
	Text   string   // the command line, continuation lines joined with "\n"
	Exit   int      // expected exit status ("# exit N"), 0 by default
	Output []string // expected output lines (console blocks), blanks dropped
	NoRun  string   // why it is shown but not run ("" when it runs)
}

// Run returns the commands of b that run.
func (b Block) Run() []Command {
	var out []Command
	for _, c := range b.Commands {
		if c.NoRun == "" {
			out = append(out, c)
		}
	}
	return out
}

// Shown returns the commands of b shown but not run, each with why.
func (b Block) Shown() []string {
	var out []string
	for _, c := range b.Commands {
		if c.NoRun != "" {
			out = append(out, c.Text+"  ("+c.NoRun+")")
		}
	}
	return out
}

var exitComment = regexp.MustCompile(`\s+#\s*exits?\s+(\d+)\s*$`)

// noRunComments are the trailing comments that mark a command as shown,
// not run, and what each means.
var noRunComments = []string{"# on a terminal", "# until Ctrl-C", "# your tests", "# norun"}

// noRunReason returns why a command is shown but not run ("" when it runs).
func noRunReason(text string) string {
	for _, tag := range noRunComments {
		if i := strings.Index(text, tag); i > 0 {
			return strings.TrimPrefix(tag, "# ")
		}
	}
	return ""
}

// continues reports whether a command goes on on the next line: after a
// trailing backslash, pipe or &&, as in bash.
func continues(text string) bool {
	t := strings.TrimRight(text, " \t")
	return strings.HasSuffix(t, `\`) || strings.HasSuffix(t, "|") || strings.HasSuffix(t, "&&")
}

// finish sets what the complete text of c says: its expected exit status
// and whether it runs.
func (c *Command) finish(blockNoRun bool) {
	if m := exitComment.FindStringSubmatch(c.Text); m != nil && c.Exit == 0 {
		c.Exit, _ = strconv.Atoi(m[1])
	}
	c.NoRun = noRunReason(c.Text)
	if c.NoRun == "" && blockNoRun {
		c.NoRun = "norun block"
	}
}

// Parse returns the fenced blocks of a Markdown document.
func Parse(markdown []byte) ([]Block, error) {
	var blocks []Block
	var cur *Block
	var fence string
	var pending *Command // a command being continued or collecting output
	flush := func() {
		if pending != nil {
			pending.finish(cur.NoRun)
			cur.Commands = append(cur.Commands, *pending)
			pending = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(markdown))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	continuing := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
				fence = trimmed[:3]
				info := strings.Fields(strings.TrimLeft(trimmed, "`~"))
				cur = &Block{Line: n, Source: fmt.Sprintf("line %d", n)}
				for i, w := range info {
					switch {
					case i == 0:
						cur.Lang = w
					case w == "norun":
						cur.NoRun = true
					}
				}
				continuing = false
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			if continuing {
				return nil, fmt.Errorf("line %d: the block ends inside a continued command", n)
			}
			flush()
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		cur.Body += line + "\n"
		switch cur.Lang {
		case "console":
			switch {
			case continuing:
				pending.Text += "\n" + line
			case strings.HasPrefix(line, "$ "):
				flush()
				pending = &Command{Line: n, Text: line[2:]}
			case pending != nil && trimmed != "":
				pending.Output = append(pending.Output, strings.TrimRight(line, " \t"))
			case pending == nil && trimmed != "":
				return nil, fmt.Errorf("line %d: output before any \"$ \" command in a console block", n)
			}
		case "sh", "bash", "shell":
			switch {
			case continuing:
				pending.Text += "\n" + line
			case trimmed == "" || strings.HasPrefix(trimmed, "#"):
				continue
			default:
				flush()
				pending = &Command{Line: n, Text: line}
			}
		default:
			continue
		}
		if pending == nil {
			continue
		}
		continuing = len(pending.Output) == 0 && continues(pending.Text)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the block is never closed", cur.Line)
	}
	return blocks, nil
}

// Session runs commands in a shared shell state.
type Session struct {
	// Dir is the working directory; Env the whole environment of each
	// command (PATH must find the programs the guide calls).
	Dir string
	Env []string
	// Replace maps text of the documentation to what it stands for here
	// (the documented emulator address to the test's), in commands and in
	// expected output alike.
	Replace map[string]string
	// Width is the terminal's width in columns (100 when 0).
	Width int

	state string // file holding `export -p` after each command
}

// ownVariables matches the `declare -p` lines of variables that belong to
// bash itself, or are read-only, which the next command must not assign.
const ownVariables = `^declare -[a-zA-Z]*r|^declare -[-a-zA-Z]* (BASH[A-Z_]*|FUNCNAME|PIPESTATUS|GROUPS|DIRSTACK|SHLVL|PWD|OLDPWD|COLUMNS|LINES|HOSTNAME|_|__docrun_status)(=|$)`

// Result is what a command did.
type Result struct {
	Exit   int
	Output string // stdout and stderr as the terminal left them (shown), \r\n as \n
}

func (s *Session) replace(text string) string {
	for from, to := range s.Replace {
		text = strings.ReplaceAll(text, from, to)
	}
	return text
}

// Run runs one command line in bash under a pseudo-terminal, after the
// exported variables the earlier commands left.
func (s *Session) Run(ctx context.Context, command string) (Result, error) {
	if s.state == "" {
		f, err := os.CreateTemp(s.Dir, ".docrun-state-*.sh")
		if err != nil {
			return Result{}, err
		}
		f.Close()
		s.state = f.Name()
	}
	width := s.Width
	if width == 0 {
		width = 100
	}
	// The state file (the shell's variables but bash's own and read-only
	// ones) is sourced before and rewritten after the command, whatever its
	// status, which the script keeps.
	inner := fmt.Sprintf("stty cols %d rows 40 2>/dev/null; source %q\n%s\n__docrun_status=$?\n"+
		"declare -p | grep -Ev %q >%q; exit $__docrun_status",
		width, s.state, s.replace(command), ownVariables, s.state)
	return runBash(ctx, s.Dir, s.Env, inner, true)
}

// runBash runs script in bash (no profile, no rc file) in dir with env, on
// a pseudo-terminal (script(1)) when terminal is set, else with an empty
// stdin and pipes; it returns the exit status and what was printed, stdout
// and stderr together.
func runBash(ctx context.Context, dir string, env []string, script string, terminal bool) (Result, error) {
	f, err := os.CreateTemp(dir, ".docrun-command-*.sh")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return Result{}, err
	}
	if err := f.Close(); err != nil {
		return Result{}, err
	}
	var cmd *exec.Cmd
	if terminal {
		cmd = exec.CommandContext(ctx, "script", "-q", "-e", "-c", "bash --noprofile --norc '"+strings.ReplaceAll(f.Name(), "'", `'\''`)+"'", "/dev/null")
	} else {
		cmd = exec.CommandContext(ctx, "bash", "--noprofile", "--norc", f.Name())
		cmd.Stdin = strings.NewReader("")
	}
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	res := Result{Output: shown(out.String())}
	if ctx.Err() != nil {
		return res, fmt.Errorf("timed out: %w", ctx.Err())
	}
	if exit, ok := err.(*exec.ExitError); ok {
		res.Exit = exit.ExitCode()
	} else if err != nil {
		return res, err
	}
	return res, nil
}

// shown is output as a terminal leaves it on the screen, line by line: a
// carriage return starts the line again and "\x1b[K" erases what was
// behind, so what a spinner drew while the API was slow to answer ("\r\x1b[K⠋
// waiting for the API…", shown on a terminal only after a delay) is gone,
// as on the person's screen.
func shown(output string) string {
	lines := strings.Split(strings.ReplaceAll(output, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if j := strings.LastIndexByte(l, '\r'); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = strings.ReplaceAll(l, "\x1b[K", "")
	}
	return strings.Join(lines, "\n")
}

// Check runs c and compares what it did with what the documentation says:
// the exit status, and each expected output line, in order, against the
// lines printed.
func (s *Session) Check(ctx context.Context, c Command) (Result, error) {
	res, err := s.Run(ctx, c.Text)
	if err != nil {
		return res, err
	}
	if res.Exit != c.Exit {
		return res, fmt.Errorf("exit status %d, the documentation says %d", res.Exit, c.Exit)
	}
	var expected []string
	for _, l := range c.Output {
		expected = append(expected, s.replace(l))
	}
	if missing := MatchLines(expected, res.Output); missing != "" {
		return res, fmt.Errorf("the output lacks the line %q (in this order)", missing)
	}
	return res, nil
}

// MatchLines reports the first expected line that does not match a line of
// output after the previous match ("" when all do). A line matches when it
// equals the output line, with trailing spaces removed, and with these
// allowances, so that a transcript can be pasted as it was printed:
//   - "…" stands for any text;
//   - a run of spaces stands for any run of spaces (columns and boxes
//     follow the width of their values);
//   - values made afresh on every run match any value of their shape: key
//     and verification ids (key_0123456789ab) and RFC 3339 times in UTC.
func MatchLines(expected []string, output string) string {
	lines := strings.Split(output, "\n")
	at := 0
	for _, want := range expected {
		re := lineRegexp(normalize(want))
		found := false
		for at < len(lines) {
			got := normalize(strings.TrimRight(lines[at], " \t"))
			at++
			if re.MatchString(got) {
				found = true
				break
			}
		}
		if !found {
			return want
		}
	}
	return ""
}

var (
	freshID   = regexp.MustCompile(`\b(key|ver|ptn)_[0-9a-z]{12}\b`)
	freshTime = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\b`)
	spaceRun  = regexp.MustCompile(` +`)
)

// normalize replaces the values made afresh on every run by placeholders.
func normalize(line string) string {
	line = freshID.ReplaceAllString(line, "${1}_<id>")
	return freshTime.ReplaceAllString(line, "<time>")
}

func lineRegexp(line string) *regexp.Regexp {
	parts := strings.Split(line, "…")
	for i, p := range parts {
		pieces := spaceRun.Split(p, -1)
		for j, piece := range pieces {
			pieces[j] = regexp.QuoteMeta(piece)
		}
		parts[i] = strings.Join(pieces, " +")
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*?") + "$")
}
