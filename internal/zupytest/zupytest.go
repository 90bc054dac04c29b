// Package zupytest gives tests a `zupy` program without building one: the
// test binary itself, re-executed under the name zupy, runs the real command
// tree (root.Run), the way testscript.Main runs the scripts' commands. A
// package whose tests need a path to zupy (a shell script, a guide, a
// terminal session) calls Main from its TestMain and Path from its tests.
// RunInProcess runs the same command tree with the same hooks without a
// process, for the scripts' `zupy` lines (docs/architecture.md "Tests").
// Only tests import it, so its hooks (a file keyring, a sleeper on the
// emulator's clock) are never linked into cmd/zupy
// (TestZupyBinaryLinksNoTestHooks pins that).
package zupytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Name is the name the test binary answers to as zupy.
const Name = "zupy"

// The environment of a re-executed zupy: what stands in for the OS keyring
// and for the wall clock (see Run).
const (
	EnvKeyring      = "ZUPY_TEST_KEYRING"                 // "unavailable" or "hang"
	EnvKeyringFile  = "ZUPY_TEST_KEYRING_FILE"            // a JSON file as the OS keyring
	EnvEmulatorWait = "ZUPY_TEST_SLEEP_ON_EMULATOR_CLOCK" // an emulator's origin: waits move its clock
	EnvReadyFile    = "ZUPY_TEST_READY_FILE"              // created once SIGINT and SIGTERM are handled
)

// Main runs the tests of m, or, when this process was started under the
// name zupy (Path), runs zupy on its arguments and exits with its code.
func Main(m *testing.M) {
	if IsZupy() {
		os.Exit(Run())
	}
	QuietRaceExit()
	os.Exit(m.Run())
}

// QuietRaceExit sets GORACE in this process's environment so that the
// programs it starts (the zupy processes of its tests, and any other child
// that inherits the environment or is given GORACE) skip the race
// detector's sleep at exit. Built with -race, a Go program that exits 0
// first sleeps atexit_sleep_ms, 1000 by default, to let its other
// goroutines show a race; a script that starts a few dozen zupy processes
// waited that second for each, most of the suite's time (docs/architecture.md
// "Tests"). A race a child meets before it exits is still reported and
// still fails it (exit 66). An atexit_sleep_ms already in GORACE is kept.
func QuietRaceExit() {
	v := os.Getenv("GORACE")
	if strings.Contains(v, "atexit_sleep_ms=") {
		return
	}
	os.Setenv("GORACE", strings.TrimSpace(v+" atexit_sleep_ms=0"))
}

// IsZupy reports whether this process was started under the name zupy.
func IsZupy() bool { return filepath.Base(os.Args[0]) == Name }

// Run runs the real command tree on os.Args[1:] and returns the exit code,
// with the test hooks the environment asks for:
//   - ZUPY_TEST_KEYRING=unavailable: every keyring call fails as on a
//     headless Linux box without a Secret Service; =hang: every call blocks,
//     as a locked keyring whose unlock prompt nobody answers;
//   - ZUPY_TEST_KEYRING_FILE: a JSON file as the OS keyring, shared by the
//     processes of one test (without it, the real keyring);
//   - ZUPY_TEST_SLEEP_ON_EMULATOR_CLOCK=ORIGIN: a wait (a retry after a 429,
//     `ping --wait`) moves the clock of the emulator at ORIGIN forward
//     instead of sleeping, so what that clock decides (cooldowns,
//     Retry-After, expiry) is tested without waiting for it.
//   - ZUPY_TEST_READY_FILE=PATH: PATH is created once SIGINT and SIGTERM
//     cancel the command's context.
func Run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv(EnvReadyFile); path != "" {
		// A test that signals this process waits for this, not for a
		// time: a signal before it would end the process as Go's
		// default does, whatever zupy handles.
		_ = os.WriteFile(path, nil, 0o600)
	}
	return root.Run(ctx, factory(ui.System(), os.Getenv), os.Args[1:])
}

// RunInProcess runs the real command tree on args in this process, with
// the environment getenv reads and streams that are not terminals, and
// returns the exit code: the test hooks are those of Run.
func RunInProcess(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, args []string) int {
	streams := ui.Test(stdin, stdout, stderr)
	streams.Env = func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	}
	return root.Run(ctx, factory(streams, getenv), args)
}

// factory is the real factory with the hooks the environment asks for.
func factory(streams *ui.IOStreams, getenv func(string) string) *cmdutil.Factory {
	f := cmdutil.New(streams, getenv)
	if k := keyringFromEnv(getenv); k != nil {
		f.Keyring = k
	}
	if origin := getenv(EnvEmulatorWait); origin != "" {
		f.Sleep = SleepOnEmulatorClock(origin)
	}
	return f
}

// WithZupyOnPath runs run with a program named zupy that is this test
// binary first on PATH (testscript's exec finds it there), and returns
// what run returns. The package's TestMain must act as zupy (IsZupy, Run).
func WithZupyOnPath(run func() int) int {
	dir, err := os.MkdirTemp("", "zupy-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if _, err := linkSelf(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	return run()
}

// linkSelf makes dir/zupy a symlink to this test binary and returns its path.
func linkSelf(dir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, Name)
	return bin, os.Symlink(self, bin)
}

// Path returns the path of a program named zupy that is this test binary
// (a symlink in a temporary directory, which may go on PATH). The package's
// TestMain must call Main, or IsZupy and Run, for it to act as zupy.
func Path(t testing.TB) string {
	t.Helper()
	bin, err := linkSelf(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func keyringFromEnv(getenv func(string) string) credentials.Backend {
	switch getenv(EnvKeyring) {
	case "unavailable":
		return failingKeyring{}
	case "hang":
		return hangingKeyring{}
	}
	if path := getenv(EnvKeyringFile); path != "" {
		return &clitest.FileKeyring{Path: path}
	}
	return nil
}

// SleepOnEmulatorClock is a sleeper that, instead of waiting, moves the
// clock of the emulator at origin forward by the wait (rounded up to a
// second).
func SleepOnEmulatorClock(origin string) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		secs := int64((d + time.Second - 1) / time.Second)
		if secs <= 0 {
			return ctx.Err()
		}
		body := fmt.Sprintf(`{"advance_seconds": %d}`, secs)
		resp, err := http.Post(strings.TrimSuffix(origin, "/")+"/_emulator/clock", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("advance the emulator clock: status %d", resp.StatusCode)
		}
		return ctx.Err()
	}
}

type failingKeyring struct{}

var errNoSecretService = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (failingKeyring) Get(service, user string) (string, error) { return "", errNoSecretService }
func (failingKeyring) Set(service, user, password string) error { return errNoSecretService }
func (failingKeyring) Delete(service, user string) error        { return errNoSecretService }

type hangingKeyring struct{}

func (hangingKeyring) Get(service, user string) (string, error) { select {} }
func (hangingKeyring) Set(service, user, password string) error { select {} }
func (hangingKeyring) Delete(service, user string) error        { select {} }
