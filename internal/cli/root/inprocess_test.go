package root_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zupy/zupy-cli/internal/zupytest"
)

// cmdZupy runs `zupy ARGS` in this process: the real command tree
// (root.Run) with the script's environment, the test hooks of a zupy
// process (zupytest.RunInProcess), standard input empty or the file a last
// argument `<FILE` names, and output to the script's stdout and stderr,
// none of them a terminal. It is `exec zupy ARGS`
// without the process, whose start (the race detector's runtime and this
// test binary's package initialisation, ~0.1 s of CPU) was most of the
// scripts' time (docs/architecture.md "Tests").
//
// A script runs `exec zupy` where the process is what it tests, or where an
// in-process run could not stand in for one; cmdZupy refuses those lines
// (needsProcess) rather than run them differently.
func cmdZupy(ts *testscript.TestScript, neg bool, args []string) {
	// `<FILE` at the end is standard input, as a shell would read it
	// (testscript's `stdin` feeds only an exec).
	stdin := ""
	if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "<") && len(args[n-1]) > 1 {
		stdin = ts.ReadFile(args[n-1][1:])
		args = args[:n-1]
	}
	if why := needsProcess(ts.Getenv, args); why != "" {
		ts.Fatalf("zupy %s: %s: use exec zupy", strings.Join(args, " "), why)
	}
	code := zupytest.RunInProcess(context.Background(), ts.Getenv, strings.NewReader(stdin), ts.Stdout(), ts.Stderr(), args)
	if code != 0 {
		ts.Logf("[exit status %d]", code)
	}
	switch {
	case code != 0 && !neg:
		ts.Fatalf("unexpected command failure")
	case code == 0 && neg:
		ts.Fatalf("unexpected command success")
	}
}

// backgroundArg is testscript's `&` or `&name&` at the end of an exec line.
var backgroundArg = regexp.MustCompile(`^&([a-zA-Z_0-9]+&)?$`)

// processCommands read the working directory or start processes of their
// own (a deploy command, emulator exec's command, git) with the process's
// environment: in this process both would be the test's, not the script's.
var processCommands = [][2]string{{"keys", "scan"}, {"emulator", "start"}, {"emulator", "exec"}}

// needsProcess says why args cannot run in this process, or "", for a
// script whose environment getenv reads.
func needsProcess(getenv func(string) string, args []string) string {
	if len(args) > 0 && backgroundArg.MatchString(args[len(args)-1]) {
		return "a command in the background is a process"
	}
	for i := 0; i+1 < len(args); i++ {
		for _, c := range processCommands {
			if args[i] == c[0] && args[i+1] == c[1] {
				return c[0] + " " + c[1] + " reads the working directory or starts processes"
			}
		}
	}
	work := getenv("WORK")
	for i, a := range args {
		if strings.HasPrefix(a, "--deploy") || a == "--scan" || strings.HasPrefix(a, "--scan=") {
			return a + " reads the working directory or starts a process"
		}
		if i > 0 && (args[i-1] == "--jq" || args[i-1] == "--template") {
			continue // an expression, not a path
		}
		// A path relative to the script's directory would be read from the
		// test's: --input body.json, -F name=@file, @file.
		names := []string{a}
		if _, v, ok := strings.Cut(a, "="); ok {
			names = append(names, v)
		}
		for _, p := range names {
			p = strings.TrimPrefix(p, "@")
			if p == "" || p == "-" || filepath.IsAbs(p) {
				continue
			}
			if _, err := os.Lstat(filepath.Join(work, p)); err == nil {
				return "names " + p + " in $WORK, a relative path"
			}
		}
	}
	for _, k := range []string{"HOME", "ZUPY_CONFIG_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"} {
		if v := getenv(k); v != "" && !filepath.IsAbs(v) {
			return k + " is a relative path"
		}
	}
	return ""
}

// TestScriptsFeedStdinToAProcess: testscript keeps what `stdin FILE` (or
// `ttyin`) names for the next exec, so a `zupy` line after one would run
// with empty input and leave it to a later command. Each must be followed
// by an exec; a `zupy` line takes its input as `zupy ARGS <FILE`.
func TestScriptsFeedStdinToAProcess(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "script", "*", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	stdinLine := regexp.MustCompile(`^(\[[^]]*\]\s*)*(stdin|ttyin)\s`)
	execLine := regexp.MustCompile(`^(\[[^]]*\]\s*)*(!\s+|\?\s+)?exec\s`)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		pending, n, at := false, 0, 0
		for sc.Scan() {
			n++
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "-- ") {
				break // the archive's files
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if pending && !execLine.MatchString(line) {
				t.Errorf("%s:%d: the input of `stdin` at line %d goes to this line, which is no exec", name, n, at)
			}
			pending = stdinLine.MatchString(line)
			at = n
		}
		f.Close()
	}
}

func TestNeedsProcessRefusesWhatOnlyAProcessDoes(t *testing.T) {
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "body.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORK": work, "HOME": work}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{
		{"emulator", "start", "&"},
		{"ping", "--interval", "1s", "&ping&"},
		{"-o", "json", "keys", "scan"},
		{"emulator", "exec", "--", "sh"},
		{"keys", "audit", "--scan", "app"},
		{"keys", "rotate", "key_x", "--deploy-file", "/abs/.env"},
		{"api", "/loyalty/program", "--input", "body.json"},
		{"api", "/x", "-F", "description=@body.json"},
		{"api", "/x", "--input=body.json"},
	} {
		if why := needsProcess(getenv, args); why == "" {
			t.Errorf("zupy %v: runs in the process, want refused", args)
		}
	}
	for _, args := range [][]string{
		{"keys", "list", "-o", "json"},
		{"keys", "list", "--jq", "."},
		{"api", "/x", "--input", "missing.json"}, // the error names it as a process would
		{"api", "/x", "--input", "-"},
		{"keys", "create", "--name", "scan"},
	} {
		if why := needsProcess(getenv, args); why != "" {
			t.Errorf("zupy %v: refused (%s), want run in the process", args, why)
		}
	}
	env["HOME"] = "relative/home"
	if why := needsProcess(getenv, []string{"keys", "list"}); why == "" {
		t.Error("a relative HOME: runs in the process, want refused")
	}
}
