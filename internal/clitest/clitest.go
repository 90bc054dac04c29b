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
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	base := hs.URL + "/v1"
	c := api.New(api.Options{BaseURL: base})
	ch, err := c.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail})
	if err != nil {
		t.Fatal(err)
	}
	box, err := c.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	login, err := c.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[len(box.Messages)-1].Code})
	if err != nil {
		t.Fatal(err)
	}
	return base, login.SessionToken
}

// RepoRoot is the repository's root directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("clitest: cannot find its own source file")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root
}

// BuildZupy builds cmd/zupy into a temporary directory and returns the
// binary's path.
func BuildZupy(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zupy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/zupy")
	build.Dir = RepoRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TerminalScript builds zupy and runs scripts/<name> with it: a session
// on a real terminal (detached tmux), typed and read back the way a person
// would. It fails on any failure of the script or once within has passed.
// Outside CI it skips without tmux or bash, with -short, or when the script
// reports a missing tool (exit 2); in CI (CI set, where make deps has
// installed every tool) each of those is a failure.
func TerminalScript(t *testing.T, name string, within time.Duration) {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("CI") != "" {
		skip = t.Fatalf
	}
	if testing.Short() {
		t.Skip("builds zupy and drives tmux; skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		skip("tmux is not on PATH (`make deps` installs it)")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		skip("bash is not on PATH")
	}
	root := RepoRoot(t)
	bin := BuildZupy(t)

	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	script := exec.CommandContext(ctx, bash, filepath.Join(root, "scripts", name), bin)
	script.Dir = root
	script.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	script.WaitDelay = 5 * time.Second
	out, err := script.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("scripts/%s did not finish within %s:\n%s", name, within, out)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 && bytes.Contains(out, []byte(" is missing")) {
		skip("scripts/%s is missing a tool (make deps installs it):\n%s", name, out)
	}
	if err != nil {
		t.Fatalf("scripts/%s: %v\n%s", name, err, out)
	}
	t.Logf("%s", out)
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
