//go:build linux

package root_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestSignalEndsABlockedCommand starts zupy as a real process blocked on
// each thing that used to ignore Ctrl-C and SIGTERM — a --jq filter with
// no end, standard input that never closes, a FIFO with no writer — sends
// SIGINT or SIGTERM once it is blocked, and expects exit 130 within a
// generous bound (a hang is the failure; the speed is not measured).
func TestSignalEndsABlockedCommand(t *testing.T) {
	bin, err := exec.LookPath("zupy")
	if err != nil {
		t.Fatalf("zupy is not on PATH: %v", err)
	}
	fifo := filepath.Join(t.TempDir(), "body.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
	}{
		{"jq without end", []string{"scopes", "--jq", "repeat(1)"}},
		{"jq that never yields", []string{"scopes", "--jq", "last(range(1e15))"}},
		{"keys scan --stdin", []string{"keys", "scan", "--stdin"}},
		{"login --code-stdin", []string{"login", "--verification-id", "ver_0123456789abcdef", "--code-stdin"}},
		{"keys import --key-stdin", []string{"keys", "import", "--key-stdin"}},
		{"api --input -", []string{"api", "/x", "--input", "-"}},
		{"api -F @-", []string{"api", "/x", "-F", "a=@-"}},
		{"api --input FIFO", []string{"api", "/x", "--input", fifo}},
		{"api -F @FIFO", []string{"api", "/x", "-F", "a=@" + fifo}},
	}
	for _, tc := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(tc.name+"/"+sig.String(), func(t *testing.T) {
				// Most of each case is the wait below, on the wall clock:
				// the cases wait side by side.
				t.Parallel()
				home := t.TempDir()
				cmd := exec.Command(bin, append(tc.args, "-o", "json")...)
				cmd.Env = append(os.Environ(),
					"HOME="+home,
					"ZUPY_CONFIG_DIR="+filepath.Join(home, "config"),
					"XDG_DATA_HOME="+filepath.Join(home, "data"),
					"ZUPY_TEST_KEYRING_FILE="+filepath.Join(home, "keyring.json"),
					"ZUPY_BASE_URL=http://127.0.0.1:9/v1",
					"ZUPY_API_KEY=",
					"ZUPY_SESSION_TOKEN=",
					zupytest.EnvReadyFile+"="+filepath.Join(home, "ready"),
				)
				// Standard input: a pipe this test holds open and never
				// writes.
				stdin, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				defer stdin.Close()
				var stderr bytes.Buffer
				cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, io.Discard, &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				// Until the process handles the signals (a signal before
				// that ends it as Go's default does, which a loaded machine
				// made a flake of a fixed second), then a moment to block;
				// it must not have ended by itself.
				ready := filepath.Join(home, "ready")
				for deadline := time.Now().Add(20 * time.Second); ; {
					if _, err := os.Stat(ready); err == nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("zupy did not handle signals within 20 s")
					}
					select {
					case err := <-done:
						t.Fatalf("zupy ended before the signal (%v): %s", err, stderr.String())
					case <-time.After(20 * time.Millisecond): // bounded polling loop
					}
				}
				select {
				case err := <-done:
					t.Fatalf("zupy ended before the signal (%v): %s", err, stderr.String())
				case <-time.After(300 * time.Millisecond):
				}
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				select {
				case err = <-done:
				case <-time.After(20 * time.Second):
					_ = cmd.Process.Kill()
					<-done
					t.Fatalf("zupy %s still running 20 s after %s", strings.Join(tc.args, " "), sig)
				}
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 130 {
					t.Fatalf("zupy %s after %s: %v, want exit 130; stderr:\n%s", strings.Join(tc.args, " "), sig, err, stderr.String())
				}
				if !strings.Contains(stderr.String(), `"exit_code": 130`) {
					t.Errorf("stderr does not report exit 130:\n%s", stderr.String())
				}
			})
		}
	}
}
