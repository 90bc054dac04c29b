package docrun_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/docrun"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// guides are the documents whose commands TestGuides runs, from the
// repository root.
var guides = []string{
	"README.md",
	"docs/getting-started.md",
	"docs/production-and-staging.md",
	"docs/security-model.md",
	"docs/troubleshooting.md",
	"docs/audit.md",
	"docs/rotation.md",
}

// documentedEmulator is the address the guides give the emulator (its
// default); the test's emulator listens on a free port instead.
const documentedEmulator = "127.0.0.1:8790"

// TestMain lets the test binary act as zupy (internal/zupytest): the guides
// call `zupy`, a symlink to this binary on their PATH, which runs the real
// command tree. The OS keyring is a JSON file (ZUPY_TEST_KEYRING_FILE), as
// in the testscript suite, since a test machine has no unlocked Secret
// Service.
func TestMain(m *testing.M) { zupytest.Main(m) }

// TestGuides runs every command the guides show, in order, each guide in a
// fresh home against a fresh in-memory emulator, and checks exit statuses
// and the output of console blocks. Blocks marked norun in the Markdown are
// not run; a `zupy` command that does not exist yet is reported and left
// out (every existing one runs).
func TestGuides(t *testing.T) {
	clitest.RequireTool(t, "script", "bsdutils") // the guides run under a pseudo-terminal
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, guide := range guides {
		t.Run(strings.TrimSuffix(filepath.Base(guide), ".md"), func(t *testing.T) {
			// Each guide has its own sandbox and emulator (and command tree:
			// cobra sorts a tree's commands on first read): they run side
			// by side, their commands one after the other.
			t.Parallel()
			tree := newTree()
			md, err := os.ReadFile(filepath.Join(repo, guide))
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := docrun.Parse(md)
			if err != nil {
				t.Fatalf("%s: %v", guide, err)
			}
			s := newSession(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			ran := 0
			for _, b := range blocks {
				if len(b.Run()) == 0 {
					continue
				}
				// A block whose zupy command does not exist yet is left out
				// whole: its later commands build on the missing one.
				missing := ""
				for _, c := range b.Run() {
					if missing = missingCommand(tree, c.Text); missing != "" {
						break
					}
				}
				if missing != "" {
					t.Logf("%s:%d: block not run: `%s` does not exist yet", guide, b.Line, missing)
					continue
				}
				for _, c := range b.Run() {
					res, err := s.Check(ctx, c)
					ran++
					if err != nil {
						t.Fatalf("%s:%d: $ %s\n%v\n---- output (secrets masked) ----\n%s", guide, c.Line, c.Text, err, mask(res.Output))
					}
					if os.Getenv("DOCRUN_SHOW") != "" { // to write a guide: what each command printed
						t.Logf("%s:%d: $ %s\n%s", guide, c.Line, c.Text, mask(res.Output))
					}
				}
			}
			if ran == 0 {
				t.Errorf("%s: no command ran", guide)
			}
		})
	}
}

// newSession gives a guide a home of its own, a PATH where `zupy` is this
// binary, and an emulator on a free port standing in for the documented one.
func newSession(t *testing.T) *docrun.Session {
	t.Helper()
	zupy := zupytest.Path(t)
	sb := docrun.NewSandbox(t, zupy)
	env := append(sb.Env,
		"TERM=xterm-256color",
		"NO_COLOR=1", // the text a person reads, without escape sequences
	)
	base := startEmulator(t, zupy, env)
	return &docrun.Session{
		Dir: sb.Dir,
		Env: env,
		Replace: map[string]string{
			documentedEmulator: strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/v1"),
		},
	}
}

// startEmulator runs `zupy emulator start --in-memory` on a free loopback
// port and returns its base URL; it is stopped when the test ends.
func startEmulator(t *testing.T, zupy string, env []string) string {
	t.Helper()
	cmd := exec.Command(zupy, "emulator", "start", "--in-memory", "--addr", "127.0.0.1:0")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		for sc.Scan() { // keep the pipe drained
		}
	}()
	select {
	case base, ok := <-line:
		if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("the emulator printed %q, not its base URL", base)
		}
		return base
	case <-time.After(20 * time.Second):
		t.Fatal("the emulator printed no base URL within 20s")
	}
	return ""
}

// newTree is zupy's command tree, to tell which commands exist.
func newTree() *cobra.Command {
	f := cmdutil.New(ui.Test(nil, nil, nil), func(string) string { return "" })
	cmd := root.New(f)
	cmd.InitDefaultHelpCmd() // cobra adds `help` only when it executes
	return cmd
}

var zupyCall = regexp.MustCompile(`(?:^|[\s|;&(])zupy\s([^|;&)<>]*)`)

// globalValueFlags are the global flags that take a value as the next word.
var globalValueFlags = map[string]bool{"--profile": true, "--base-url": true, "-o": true, "--output": true,
	"--retries": true, "--timeout": true, "--jq": true, "--template": true}

// missingCommand returns "zupy WORDS" for the first zupy call in line that
// names a command the tree does not have ("" when all exist): a word that
// is neither a subcommand nor an argument of a command without subcommands,
// or a setting that `zupy config set|get|unset` does not know yet.
func missingCommand(tree *cobra.Command, line string) string {
	for _, m := range zupyCall.FindAllStringSubmatch(line, -1) {
		cmd := tree
		path := "zupy"
		words := strings.Fields(m[1])
		for i := 0; i < len(words); i++ {
			w := words[i]
			if strings.HasPrefix(w, "-") {
				if globalValueFlags[w] {
					i++
				}
				continue
			}
			if !cmd.HasSubCommands() {
				if cmd.Parent() != nil && cmd.Parent().Name() == "config" && cmd.Name() != "list" && cmd.Name() != "path" {
					if _, ok := config.Lookup(w); !ok {
						return path + " " + w
					}
				}
				break
			}
			next := findChild(cmd, w)
			if next == nil {
				return path + " " + w
			}
			cmd, path = next, path+" "+w
		}
	}
	return ""
}

func findChild(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

var secret = regexp.MustCompile(`zup_(live_sk|test_sk|sess)_[A-Za-z0-9]+`)

func mask(s string) string { return secret.ReplaceAllString(s, "zup_${1}_[secret]") }

func TestMissingCommandKnowsTheTree(t *testing.T) {
	tree := newTree()
	for line, want := range map[string]string{
		"zupy keys list":                                              "",
		"zupy config set base_url http://x/v1":                        "",
		"export K=$(zupy keys create --name a --scopes loyalty:read)": "",
		"zupy emulator otp | zupy login --code-stdin":                 "",
		"zupy help exit-codes":                                        "",
		"zupy keys frobnicate KEY":                                    "zupy keys frobnicate",
		"echo hi && zupy nosuchcommand --flag":                        "zupy nosuchcommand",
	} {
		if got := missingCommand(tree, line); got != want {
			t.Errorf("missingCommand(%q) = %q; want %q", line, got, want)
		}
	}
}

var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} +(.+)$`)
)

// TestGuideLinksResolve checks that every relative link of the guides
// names a file of the repository and, with #anchor, one of its headings.
func TestGuideLinksResolve(t *testing.T) {
	repo := filepath.Join("..", "..")
	for _, guide := range guides {
		md, err := os.ReadFile(filepath.Join(repo, guide))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(md), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := filepath.Join(repo, filepath.Dir(guide), file)
			if file == "" {
				path = filepath.Join(repo, guide)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				if info, serr := os.Stat(path); serr == nil && info.IsDir() {
					continue
				}
				t.Errorf("%s: link %q: %v", guide, target, err)
				continue
			}
			if anchor != "" && !hasAnchor(string(data), anchor) {
				t.Errorf("%s: link %q: %s has no heading with that anchor", guide, target, file)
			}
		}
	}
}

// hasAnchor reports whether one of the Markdown headings of doc has the
// GitHub anchor anchor (lower case, spaces as hyphens, punctuation dropped).
func hasAnchor(doc, anchor string) bool {
	for _, h := range heading.FindAllStringSubmatch(doc, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(h[1])) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && r != '—':
				b.WriteRune(r)
			}
		}
		if b.String() == anchor {
			return true
		}
	}
	return false
}

// TestSandboxPassesTheRaceOptionsOn: the sandbox's whole environment keeps
// the test's GORACE, which zupytest.Main set so that a -race zupy does not
// sleep a second at each exit (or the caller's own atexit_sleep_ms).
func TestSandboxPassesTheRaceOptionsOn(t *testing.T) {
	sb := docrun.NewSandbox(t, filepath.Join(t.TempDir(), "zupy"))
	gorace := os.Getenv("GORACE")
	if !slices.Contains(sb.Env, "GORACE="+gorace) || !strings.Contains(gorace, "atexit_sleep_ms=") {
		t.Errorf("GORACE = %q, sandbox environment %q; want it passed on, with atexit_sleep_ms set", gorace, sb.Env)
	}
}
