package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/zalando/go-keyring"

	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// fakeBackend is an in-memory keyring that counts its calls.
type fakeBackend struct {
	mu      sync.Mutex
	entries map[string]string
	calls   int
	onCall  func()
}

func (b *fakeBackend) call() {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	if b.onCall != nil {
		b.onCall()
	}
}

func (b *fakeBackend) Get(service, user string) (string, error) {
	b.call()
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.entries[service+"|"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (b *fakeBackend) Set(service, user, password string) error {
	b.call()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.entries == nil {
		b.entries = map[string]string{}
	}
	b.entries[service+"|"+user] = password
	return nil
}

func (b *fakeBackend) Delete(service, user string) error {
	b.call()
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, service+"|"+user)
	return nil
}

func (b *fakeBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

type testEnv map[string]string

func (e testEnv) get(k string) string { return e[k] }

func newFactory(env testEnv) (*Factory, *bytes.Buffer) {
	var errOut bytes.Buffer
	f := New(ui.Test(nil, &bytes.Buffer{}, &errOut), env.get)
	return f, &errOut
}

func globalFlags(t *testing.T, f *Factory, set map[string]string) {
	t.Helper()
	fs := pflag.NewFlagSet("zupy", pflag.ContinueOnError)
	fs.StringVar(&f.Global.Profile, "profile", "default", "")
	fs.StringVar(&f.Global.BaseURL, "base-url", "", "")
	for k, v := range set {
		if err := fs.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	f.Global.Flags = fs
}

func TestProfilePrecedence(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   testEnv
		flag  string
		flags bool
		want  string
	}{
		{"default", testEnv{}, "", true, "default"},
		{"no flag set at all", testEnv{}, "", false, "default"},
		{"env", testEnv{"ZUPY_PROFILE": "ci"}, "", true, "ci"},
		{"flag beats env", testEnv{"ZUPY_PROFILE": "ci"}, "work", true, "work"},
		{"explicit --profile default beats env", testEnv{"ZUPY_PROFILE": "ci"}, "default", true, "default"},
	} {
		f, _ := newFactory(c.env)
		if c.flags {
			set := map[string]string{}
			if c.flag != "" {
				set["profile"] = c.flag
			}
			globalFlags(t, f, set)
		}
		if got := f.Profile(); got != c.want {
			t.Errorf("%s: Profile() = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestProfileIgnoresUnchangedFlagValue(t *testing.T) {
	f, _ := newFactory(testEnv{"ZUPY_PROFILE": "ci"})
	globalFlags(t, f, nil)
	f.Global.Profile = "stale" // a value that did not come from the command line
	if got := f.Profile(); got != "ci" {
		t.Errorf("Profile() = %q, want ZUPY_PROFILE's ci", got)
	}
}

func TestDebugWriter(t *testing.T) {
	for _, c := range []struct {
		flag bool
		env  string
		on   bool
	}{
		{false, "", false},
		{false, "0", false},
		{false, "false", false},
		{false, "no", false},
		{false, "FALSE", false},
		{false, " No ", false},
		{false, "1", true},
		{false, "true", true},
		{false, "yes", true},
		{true, "", true},
		{true, "0", true},
	} {
		f, errOut := newFactory(testEnv{"ZUPY_DEBUG": c.env})
		f.Global.Debug = c.flag
		w := f.DebugWriter()
		if c.on && w != errOut {
			t.Errorf("--debug=%v ZUPY_DEBUG=%q: writer %v, want stderr", c.flag, c.env, w)
		}
		if !c.on && w != nil {
			t.Errorf("--debug=%v ZUPY_DEBUG=%q: writer %v, want nil", c.flag, c.env, w)
		}
	}
}

func TestKeyringTimeoutDependsOnWhetherSomeoneCanAnswer(t *testing.T) {
	f, _ := newFactory(testEnv{})
	if got := f.KeyringTimeout(); got != 3*time.Second {
		t.Errorf("headless: %v, want 3s", got)
	}
	f.IOStreams.SetTTY(true, false, false)
	if got := f.KeyringTimeout(); got != 3*time.Second {
		t.Errorf("stdin terminal only: %v, want 3s", got)
	}
	f.IOStreams.SetTTY(true, true, true)
	if got := f.KeyringTimeout(); got != 60*time.Second {
		t.Errorf("interactive: %v, want 60s", got)
	}
}

func writeConfig(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialStoreIsTheFileWhenTheProfileSaysSo(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "version: 1\nprofiles:\n  default:\n    credential_store: file\n")
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": dir})
	backend := &fakeBackend{}
	f.Keyring = backend
	store, err := f.Resolve.Store()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "credentials.yaml")
	if store.Location() != want {
		t.Errorf("store at %q, want the file %q", store.Location(), want)
	}
	if err := store.Set(context.Background(), "default/session", "zup_sess_abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(want); err != nil {
		t.Errorf("file store wrote nothing: %v", err)
	}
	if backend.count() != 0 {
		t.Errorf("the keyring was called %d times for a file-store profile", backend.count())
	}
}

func TestCredentialStoreIsTheInjectedKeyringOtherwise(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "version: 1\nprofiles:\n  work:\n    credential_store: file\n")
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": dir}) // profile default: keyring
	backend := &fakeBackend{}
	f.Keyring = backend
	store, err := f.Resolve.Store()
	if err != nil {
		t.Fatal(err)
	}
	if store.Location() != "keyring" {
		t.Fatalf("store at %q, want keyring", store.Location())
	}
	if err := store.Set(context.Background(), "default/session", "zup_sess_abc"); err != nil {
		t.Fatal(err)
	}
	if backend.count() != 1 || backend.entries[credentials.Service+"|default/session"] != "zup_sess_abc" {
		t.Errorf("the injected backend was not used: %d calls, %v", backend.count(), backend.entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "credentials.yaml")); err == nil {
		t.Error("a keyring profile wrote the credentials file")
	}
}

func TestCredentialStoreFollowsProfileFlag(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "version: 1\nprofiles:\n  work:\n    credential_store: file\n")
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": dir})
	f.Keyring = &fakeBackend{}
	globalFlags(t, f, map[string]string{"profile": "work"})
	store, err := f.Resolve.Store()
	if err != nil {
		t.Fatal(err)
	}
	if store.Location() != filepath.Join(dir, "credentials.yaml") {
		t.Errorf("--profile work: store %q, want its file", store.Location())
	}
}

func TestSettingsRefuseInvalidProfile(t *testing.T) {
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_PROFILE": "Bad/Name"})
	_, err := f.Settings()
	var ue *config.UsageError
	if !errors.As(err, &ue) {
		t.Errorf("Settings() err = %v, want *config.UsageError", err)
	}
}

func TestClientUsesEffectiveBaseURL(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "version: 1\nprofiles:\n  default:\n    base_url: https://file.example/v1\n")
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": dir})
	c, err := f.Client()
	if err != nil || c.BaseURL() != "https://file.example/v1" {
		t.Errorf("file: %v, %v", c, err)
	}
	f, _ = newFactory(testEnv{"ZUPY_CONFIG_DIR": dir, "ZUPY_BASE_URL": "http://127.0.0.1:9/v1/"})
	globalFlags(t, f, nil)
	if c, err = f.Client(); err != nil || c.BaseURL() != "http://127.0.0.1:9/v1" {
		t.Errorf("env: %v, %v", c, err)
	}
	globalFlags(t, f, map[string]string{"base-url": "https://flag.example/v1"})
	if c, err = f.Client(); err != nil || c.BaseURL() != "https://flag.example/v1" {
		t.Errorf("flag: %v, %v", c, err)
	}
}

func TestFormatWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		250 * time.Millisecond:     "250ms",
		time.Second:                "1s",
		41*time.Second + 600e6:     "42s",
		42 * time.Second:           "42s",
		90 * time.Second:           "90s",
		1234567 * time.Microsecond: "1s",
	} {
		if got := formatWait(d); got != want {
			t.Errorf("formatWait(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestForProfileReadsTheOtherProfileFromTheFileOnly(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "version: 1\nprofiles:\n  work:\n    base_url: https://work.example/v1\n    credential_store: file\n")
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": dir, "ZUPY_BASE_URL": "http://127.0.0.1:9/v1"})
	f.Keyring = &fakeBackend{}
	globalFlags(t, f, nil)

	if f.ForProfile("default") != f {
		t.Error("ForProfile of the active profile is not the factory itself")
	}
	work := f.ForProfile("work")
	if work.Profile() != "work" || f.Profile() != "default" {
		t.Errorf("profiles: other %q, active %q", work.Profile(), f.Profile())
	}
	// ZUPY_BASE_URL speaks for the active profile only.
	if c, err := work.Client(); err != nil || c.BaseURL() != "https://work.example/v1" {
		t.Errorf("work client: %v, %v", c, err)
	}
	if c, err := f.Client(); err != nil || c.BaseURL() != "http://127.0.0.1:9/v1" {
		t.Errorf("active client: %v, %v", c, err)
	}
	if s, err := work.Resolve.Store(); err != nil || s.Location() != filepath.Join(dir, "credentials.yaml") {
		t.Errorf("work store: %v, %v", s, err)
	}
	if s, err := f.Resolve.Store(); err != nil || s.Location() != "keyring" {
		t.Errorf("active store: %v, %v", s, err)
	}
}

func TestQuietClientNeverRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	f, errOut := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_BASE_URL": srv.URL + "/v1"})
	f.Global.Retries = 3
	c, err := f.QuietClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ListKeys(context.Background(), "zup_sess_x", "", ""); err == nil {
		t.Fatal("a 429 was not an error")
	}
	if calls.Load() != 1 || errOut.Len() != 0 {
		t.Errorf("%d requests, stderr %q; want one attempt and silence", calls.Load(), errOut.String())
	}
	if f.Global.Retries != 3 {
		t.Errorf("the shared --retries changed to %d", f.Global.Retries)
	}
}
