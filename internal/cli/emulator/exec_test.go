package emulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

func TestTailBufferKeepsTheLastLines(t *testing.T) {
	b := newTailBuffer(3)
	for i := range 10 {
		fmt.Fprintf(b, "line %d\n", i)
	}
	b.Write([]byte("partial"))
	got := b.Last(3)
	want := []string{"line 8", "line 9", "partial"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("Last(3) = %q, want %q", got, want)
	}
	if got := b.Last(10); len(got) != 4 || got[0] != "line 7" {
		t.Fatalf("Last(10) = %q: want the 3 kept lines and the partial one", got)
	}
}

func TestEmulatorFailureShowsTheLogsLastLines(t *testing.T) {
	logs := newTailBuffer(200)
	for i := range 30 {
		fmt.Fprintf(logs, "time=x level=INFO msg=request n=%d\n", i)
	}
	var out bytes.Buffer
	err := emulatorFailed(&out, errors.New("the emulator stopped serving"), logs)
	if !strings.Contains(err.Error(), "emulator failed: the emulator stopped serving") {
		t.Fatalf("error %q", err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "The emulator's log ended with:\n") || !strings.Contains(text, "n=29\n") ||
		strings.Contains(text, "n=9\n") || strings.Count(text, "\n") != execLogLinesOnFail+1 {
		t.Fatalf("shown:\n%s", text)
	}
}

func TestWithoutVarsDropsOnlyTheNamedVariables(t *testing.T) {
	got := withoutVars([]string{"A=1", "ZUPY_API_KEY=x", "ZUPY_API_KEY_FILE=y", "B=2=3"}, "ZUPY_API_KEY")
	if strings.Join(got, " ") != "A=1 ZUPY_API_KEY_FILE=y B=2=3" {
		t.Fatalf("got %q", got)
	}
}

// parseExec runs `emulator exec ARGS` up to the run and returns the options
// it would run with.
func parseExec(t *testing.T, args ...string) (*ExecOptions, error) {
	t.Helper()
	f := cmdutil.New(ui.Test(strings.NewReader(""), io.Discard, io.Discard), func(string) string { return "" })
	var got *ExecOptions
	cmd := NewCmdExec(f, func(o *ExecOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return got, cmd.Execute()
}

func TestExecParsesItsCommandLine(t *testing.T) {
	o, err := parseExec(t, "--with-key", "loyalty:read, customer:read,loyalty:read", "--key-rate-limit", "500", "--with-session", "--", "go", "test", "--", "-v")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Scopes, []string{"loyalty:read", "customer:read"}) || o.KeyRateLimit != 500 || !o.WithSession || !o.InMemory {
		t.Errorf("options %+v", o)
	}
	if !slices.Equal(o.Command, []string{"go", "test", "--", "-v"}) {
		t.Errorf("command %q: everything after the first -- is CMD's", o.Command)
	}
	if o.IO == nil || o.ClientFor == nil || o.Environ == nil {
		t.Error("the factory's streams, client and environment were not copied")
	}
	o, err = parseExec(t, "--data-dir", "d", "--", "true")
	if err != nil || o.InMemory || o.DataDir != "d" || o.Scopes != nil || o.WithSession {
		t.Errorf("--data-dir d: %+v, %v", o, err)
	}
}

func TestExecRefusesBadCommandLinesBeforeRunning(t *testing.T) {
	for _, c := range []struct {
		args    []string
		mention string
	}{
		{[]string{"true"}, "missing -- before the command"},
		{[]string{"true", "--", "false"}, `unexpected argument "true" before --`},
		{[]string{"--"}, "no command after --"},
		{[]string{"--in-memory", "--data-dir", "d", "--", "true"}, "--data-dir and --in-memory"},
		{[]string{"--with-key", "nope:read", "--", "true"}, "invalid --with-key"},
		{[]string{"--with-key", "", "--", "true"}, "invalid --with-key"},
		{[]string{"--with-key", "loyalty:read", "--key-rate-limit", "0", "--", "true"}, "invalid --key-rate-limit"},
		{[]string{"--key-rate-limit", "10", "--", "true"}, "--key-rate-limit needs --with-key"},
	} {
		o, err := parseExec(t, c.args...)
		if o != nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%q: ran=%v, %v; want a usage error mentioning %q", c.args, o != nil, err, c.mention)
		}
	}
}

// Issue 21.6: a zupy killed by SIGKILL left CMD's temporary configuration
// behind. The next run sweeps the directories of processes that are gone,
// and leaves those of live ones (and names it cannot read) alone.
func TestSweepRemovesOnlyTheConfigDirsOfGoneProcesses(t *testing.T) {
	tmp := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skipf("no `true` to make a finished process: %v", err)
	}
	mk := func(name string) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(execConfigPrefix + strconv.Itoa(gone.Process.Pid) + "-123")
	mine := mk(execConfigPrefix + strconv.Itoa(os.Getpid()) + "-456")
	parent := mk(execConfigPrefix + strconv.Itoa(os.Getppid()) + "-789")
	legacy := mk(execConfigPrefix + "123456789")
	other := mk("zupy-other-1")
	sweepConfigDirs(tmp)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory of a finished process is still there: %v", err)
	}
	for _, p := range []string{mine, parent, legacy, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

// Issue 21.6: a CMD that exists but cannot be executed exits 126, as in a
// shell; one that does not exist still exits 127.
func TestCannotRunTellsNotFoundFromNotExecutable(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for _, c := range []struct {
		name string
		code int
		says string
	}{
		{plain, ExitCannotExecute, "command_not_executable"},
		{"plain", ExitCannotExecute, "command_not_executable"}, // on PATH without the x bit
		{dir, ExitCannotExecute, "command_not_executable"},     // a directory
		{"no-such-command-zupy", ExitCommandNotFound, "command_not_found"},
		{filepath.Join(dir, "missing"), ExitCommandNotFound, "command_not_found"},
	} {
		_, err := exec.LookPath(c.name)
		if err == nil {
			t.Fatalf("%s: LookPath found it", c.name)
		}
		var out bytes.Buffer
		got := cannotRun(&out, c.name, err)
		if cmdutil.ExitCode(got) != c.code || !strings.HasPrefix(out.String(), "Error: "+c.says+" - cannot run ") {
			t.Errorf("%s: exit %d, %q; want %d and %s", c.name, cmdutil.ExitCode(got), out.String(), c.code, c.says)
		}
	}
}
