// Package clitest is what the command tests share: a factory over buffers, a
// root command carrying the global flags, a buffer safe for concurrent
// writers, a real emulator with a logged-in session, and the launcher of the
// terminal scripts (scripts/tmux-*.sh). Only tests import it.
package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/openapitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Factory returns a factory over stdin and two buffers, reading the
// environment from env (nil is an empty environment).
func Factory(env map[string]string, stdin string) (f *cmdutil.Factory, out, errOut *bytes.Buffer) {
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	f = cmdutil.New(ui.Test(strings.NewReader(stdin), out, errOut), func(k string) string { return env[k] })
	return f, out, errOut
}

// Root returns a "zupy" root command that carries the global flags the way
// the real root does, with cmds added under it and its output sent to the
// factory's streams.
func Root(f *cmdutil.Factory, cmds ...*cobra.Command) *cobra.Command {
	root := &cobra.Command{Use: "zupy", SilenceErrors: true, SilenceUsage: true}
	root.CompletionOptions.DisableDefaultCmd = true
	cmdutil.BindGlobalFlags(root.PersistentFlags(), &f.Global)
	root.AddCommand(cmds...)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	return root
}

// Run executes `zupy <args>` with cmds under Root.
func Run(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, args ...string) error {
	root := Root(f, cmd)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, like a server
// logging from its goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Emulator serves a fresh in-memory emulator (wrapped by wrap when not nil)
// over loopback for the test's lifetime and returns its base URL and a
// session of the demo partner, logged in through the real OTP routes.
func Emulator(t testing.TB, wrap func(http.Handler) http.Handler) (baseURL, session string) {
	t.Helper()
	ctx := context.Background()
	srv, err := emulator.Open(ctx, emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	// What the emulator answers is validated against docs/openapi.yaml (a
	// violation fails t); wrap, a test's own fault injection, sits outside.
	h := openapitest.Middleware(srv.Handler(), func(msg string) { t.Errorf("%s", msg) })
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	base := hs.URL + "/v1"
	c := api.New(api.Options{BaseURL: base})
	ch, _, err := c.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail}, false)
	if err != nil {
		t.Fatal(err)
	}
	box, _, err := c.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	login, _, err := c.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[len(box.Messages)-1].Code})
	if err != nil {
		t.Fatal(err)
	}
	return base, login.SessionToken
}

// RepoRoot is the repository's root directory: the nearest folder above the
// test's working directory (its package's folder) with a go.mod. It does
// not ask runtime.Caller, whose file names make test builds with -trimpath
// (make test) keep without a folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("clitest: no go.mod above the test's working directory")
		}
		dir = parent
	}
}

// RequireTool returns the path of the external program tool, which Debian
// ships in the package deb. Missing, it fails the test in CI (ui.InCI:
// `make deps` installs every tool there) and skips it elsewhere, both with
// the package to install. scripts/lib/require-tool.sh decides the same way
// for the shell scripts.
func RequireTool(t testing.TB, tool, deb string) string {
	t.Helper()
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	MissingTool(t, tool, deb)
	return ""
}

// RequireFile is RequireTool for a tool that is a file (a shell library
// such as bash-completion's), not a program on PATH.
func RequireFile(t testing.TB, path, deb string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		MissingTool(t, path, deb)
	}
	return path
}

// MissingTool fails (in CI) or skips (elsewhere) a test that needs tool,
// naming the Debian package deb that installs it.
func MissingTool(t testing.TB, tool, deb string) {
	t.Helper()
	msg := fmt.Sprintf("%s is missing: install the Debian package %s (make deps installs it)", tool, deb)
	if ui.InCI(os.Getenv) {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TerminalScript runs scripts/<name> with zupy (a path: zupytest.Path gives
// the test binary re-executed as zupy): a session on a real terminal
// (detached tmux), typed and read back the way a person would. It fails on
// any failure of the script or once within has passed. A missing tool
// (tmux, or one the script reports with exit 2) skips it outside CI and
// fails it in CI (RequireTool); -short skips it. The shells it drives see
// neither CI nor ZUPY_PROMPT_DISABLED, which stop prompts.
func TerminalScript(t *testing.T, name, zupy string, within time.Duration) {
	t.Helper()
	if testing.Short() {
		t.Skip("drives tmux; skipped with -short")
	}
	RequireTool(t, "tmux", "tmux")
	bash := RequireTool(t, "bash", "bash")
	root := RepoRoot(t)

	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	script := exec.CommandContext(ctx, bash, filepath.Join(root, "scripts", name), zupy)
	script.Dir = root
	// The CI decision of the harness (require_tool) is this process's,
	// passed on as ZUPY_TEST_IN_CI since CI itself is unset for the shells.
	inCI := "0"
	if ui.InCI(os.Getenv) {
		inCI = "1"
	}
	script.Env = append(withoutEnv(os.Environ(), "CI", "ZUPY_PROMPT_DISABLED"), "TMPDIR="+t.TempDir(), "ZUPY_TEST_IN_CI="+inCI)
	script.WaitDelay = 5 * time.Second
	out, err := script.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("scripts/%s did not finish within %s:\n%s", name, within, out)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 && bytes.Contains(out, []byte(" is missing")) {
		// Only outside CI: in CI the script itself fails with exit 1.
		t.Skipf("scripts/%s is missing a tool:\n%s", name, out)
	}
	if err != nil {
		t.Fatalf("scripts/%s: %v\n%s", name, err, out)
	}
	t.Logf("%s", out)
}

// withoutEnv is env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// FileKeyring is an OS keyring kept in a 0600 JSON file ("service|user" →
// secret), so that the zupy processes of one test script or guide share a
// keyring that the test can inspect.
type FileKeyring struct {
	mu   sync.Mutex
	Path string
}

func (k *FileKeyring) load() map[string]string {
	m := map[string]string{}
	if data, err := os.ReadFile(k.Path); err == nil {
		_ = json.Unmarshal(data, &m)
	}
	return m
}

func (k *FileKeyring) save(m map[string]string) error {
	data, _ := json.Marshal(m)
	return os.WriteFile(k.Path, data, 0o600)
}

func (k *FileKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.load()[service+"|"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *FileKeyring) Set(service, user, password string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.load()
	m[service+"|"+user] = password
	return k.save(m)
}

func (k *FileKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.load()
	if _, ok := m[service+"|"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(m, service+"|"+user)
	return k.save(m)
}

// ResolverOver is f's resolver with store as the profile's keyring: for a
// test that injects a store, such as one whose reads fail.
func ResolverOver(f *cmdutil.Factory, store credentials.Store) *resolve.Resolver {
	return resolve.New(resolve.Deps{
		IO: f.IOStreams, Profile: f.Profile, Getenv: f.Getenv, Settings: f.Settings, Config: f.Config,
		Keyring:         func() credentials.Store { return store },
		CredentialsFile: f.CredentialsFilePath,
	})
}
