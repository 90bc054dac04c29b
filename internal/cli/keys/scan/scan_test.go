package scan

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

func TestNewCmdScanParsesFlags(t *testing.T) {
	tests := []struct {
		args   []string
		output string
		tty    bool
		want   ScanOptions
		err    string // a usage error matching this, when not empty
	}{
		{args: nil, want: ScanOptions{Paths: []string{"."}, ExitCode: 1}},
		{args: []string{"src", "docs", "--exclude", "*.golden", "--exclude", "testdata/"},
			want: ScanOptions{Paths: []string{"src", "docs"}, Exclude: []string{"*.golden", "testdata/"}, ExitCode: 1}},
		{args: []string{"--git"}, want: ScanOptions{Paths: []string{"."}, Git: true, ExitCode: 1}},
		{args: []string{"--git", "repo", "--exit-code", "0"}, want: ScanOptions{Paths: []string{"repo"}, Git: true}},
		{args: []string{"--stdin"}, want: ScanOptions{Stdin: true, ExitCode: 1}},
		{args: []string{"--verify"}, want: ScanOptions{Paths: []string{"."}, Verify: true, ExitCode: 1}},
		{args: []string{"--revoke", "--yes"}, want: ScanOptions{Paths: []string{"."}, Verify: true, Revoke: true, Yes: true, ExitCode: 1}},
		{args: []string{"--revoke"}, tty: true, want: ScanOptions{Paths: []string{"."}, Verify: true, Revoke: true, ExitCode: 1}},
		{args: nil, output: "sarif", want: ScanOptions{Paths: []string{"."}, ExitCode: 1}},

		{args: []string{"--revoke"}, err: `^--yes is required with --revoke when not running interactively$`},
		{args: []string{"--yes"}, err: `^--yes only applies to --revoke$`},
		{args: []string{"--stdin", "--git"}, err: `cannot be used together`},
		{args: []string{"--stdin", "x"}, err: `^--stdin takes no PATH arguments$`},
		{args: []string{"--git", "a", "b"}, err: `^--git scans one repository; got 2 paths$`},
		{args: []string{"--exit-code", "-1"}, err: `^invalid --exit-code -1`},
		{args: []string{"--exit-code", "126"}, err: `^invalid --exit-code 126`},
		{args: []string{"--exclude", ""}, err: `^invalid --exclude: pattern is empty$`},
		{args: []string{"--exclude", "a[b"}, err: `^invalid --exclude: "a\[b" is not a valid pattern`},
		{args: nil, output: "yaml", err: `^invalid --output "yaml": must be text, json, sarif$`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{tt.output}, tt.args...), " "), func(t *testing.T) {
			f, _, _ := clitest.Factory(nil, "")
			f.IOStreams.SetTTY(tt.tty, tt.tty, tt.tty)
			f.Global.Output = "text"
			if tt.output != "" {
				f.Global.Output = tt.output
			}
			var got *ScanOptions
			cmd := NewCmdScan(f, func(o *ScanOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.err != "" {
				var ue *cmdutil.UsageError
				if !errors.As(err, &ue) || !regexp.MustCompile(tt.err).MatchString(err.Error()) {
					t.Fatalf("err = %v, want a usage error matching %q", err, tt.err)
				}
				if got != nil {
					t.Fatal("the run was called after a usage error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if !slices.Equal(got.Paths, w.Paths) || got.Git != w.Git || got.Stdin != w.Stdin || got.Verify != w.Verify ||
				got.Revoke != w.Revoke || got.Yes != w.Yes || !slices.Equal(got.Exclude, w.Exclude) || got.ExitCode != w.ExitCode {
				t.Errorf("options = %+v, want %+v", *got, w)
			}
		})
	}
}

func TestScanSendsEachKeyToItsOwnEnvironment(t *testing.T) {
	const (
		prod    = "https://api.zupy.com/v1"
		staging = "https://api-staging.zupy.com/v1"
		proxy   = "https://zupy-proxy.example.com/v1"
		skip    = "" // not sent
	)
	for _, tt := range []struct {
		name    string
		env     map[string]string
		args    []string
		profile string // the default profile's settings in config.yaml
		want    map[apikey.Environment]string
	}{
		{"nothing configured", nil, nil, "", map[apikey.Environment]string{apikey.Production: prod, apikey.Staging: staging}},
		{"ZUPY_BASE_URL on loopback", map[string]string{"ZUPY_BASE_URL": "http://127.0.0.1:9/v1/"}, nil, "",
			map[apikey.Environment]string{apikey.Production: "http://127.0.0.1:9/v1", apikey.Staging: "http://127.0.0.1:9/v1"}},
		{"--base-url localhost", nil, []string{"--base-url", "http://localhost:8790/v1"}, "",
			map[apikey.Environment]string{apikey.Production: "http://localhost:8790/v1", apikey.Staging: "http://localhost:8790/v1"}},
		{"ZUPY_BASE_URL of staging", map[string]string{"ZUPY_BASE_URL": staging}, nil, "",
			map[apikey.Environment]string{apikey.Production: skip, apikey.Staging: staging}},
		{"--base-url of production", nil, []string{"--base-url", prod}, "",
			map[apikey.Environment]string{apikey.Production: prod, apikey.Staging: skip}},
		{"ZUPY_BASE_URL elsewhere", map[string]string{"ZUPY_BASE_URL": proxy}, nil, "environment: production\n",
			map[apikey.Environment]string{apikey.Production: skip, apikey.Staging: skip}},
		{"profile environment staging", nil, nil, "environment: staging\n",
			map[apikey.Environment]string{apikey.Production: prod, apikey.Staging: staging}},
		// A leaked key never goes to the profile's own server, even one set
		// to the key's environment (docs/scan.md).
		{"profile base_url with its environment", nil, nil, "base_url: " + proxy + "\nenvironment: production\n",
			map[apikey.Environment]string{apikey.Production: skip, apikey.Staging: skip}},
		{"profile base_url without environment", nil, nil, "base_url: " + proxy + "\n",
			map[apikey.Environment]string{apikey.Production: skip, apikey.Staging: skip}},
		{"profile base_url of staging", nil, nil, "base_url: " + staging + "\n",
			map[apikey.Environment]string{apikey.Production: skip, apikey.Staging: staging}},
		{"profile base_url on loopback", nil, nil, "base_url: http://[::1]:8790/v1\nenvironment: staging\n",
			map[apikey.Environment]string{apikey.Production: "http://[::1]:8790/v1", apikey.Staging: "http://[::1]:8790/v1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"ZUPY_CONFIG_DIR": dir}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.profile != "" {
				cfg := "version: 1\nprofiles:\n  default:\n"
				for _, line := range strings.SplitAfter(strings.TrimSuffix(tt.profile, "\n"), "\n") {
					cfg += "    " + line
				}
				if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f, _, _ := clitest.Factory(env, "")
			f.Global.Output = "text"
			root := &cobra.Command{Use: "zupy"}
			cmdutil.BindGlobalFlags(root.PersistentFlags(), &f.Global)
			var opts *ScanOptions
			root.AddCommand(NewCmdScan(f, func(o *ScanOptions) error { opts = o; return nil }))
			root.SetArgs(append([]string{"scan", "--verify"}, tt.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			for keyEnv, want := range tt.want {
				got, why, err := opts.VerifyTarget(keyEnv)
				if err != nil || got != want {
					t.Errorf("%s key goes to %q (%v), want %q", keyEnv, got, err, want)
				}
				if (got == skip) != (why != "") {
					t.Errorf("%s key: target %q with reason %q", keyEnv, got, why)
				}
			}
		})
	}
}

// scanFixture starts an emulator, creates a key, writes it and the session
// token into a folder, and returns a factory whose stdin is input.
func scanFixture(t *testing.T, input string, tty bool, record func(*http.Request)) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer, string, string) {
	t.Helper()
	var wrap func(http.Handler) http.Handler
	if record != nil {
		wrap = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { record(r); h.ServeHTTP(w, r) })
		}
	}
	base, session := clitest.Emulator(t, wrap)
	key, _, err := api.New(api.Options{BaseURL: base}).CreateKey(context.Background(), session, api.CreateKeyRequest{Name: "leaked", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "leak.txt"), []byte("key="+key.APIKey+"\nsession="+session+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	io := ui.Test(strings.NewReader(input), &out, &errOut)
	io.SetTTY(tty, false, tty)
	env := map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session, "ZUPY_CONFIG_DIR": t.TempDir()}
	f := cmdutil.New(io, func(k string) string { return env[k] })
	f.Global.Output = "text"
	return f, &out, &errOut, dir, key.KeyID
}

func runScan(f *cmdutil.Factory, args ...string) error {
	cmd := NewCmdScan(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.ExecuteContext(context.Background())
}

func TestScanRevokeAsksOnATerminal(t *testing.T) {
	f, out, errOut, dir, keyID := scanFixture(t, "n\n", true, nil)
	err := runScan(f, dir, "--revoke")
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("declined: exit %d (%v), want 1: the key is still live", code, err)
	}
	for _, want := range []string{"Live keys found:\n  " + keyID, "Revoke 1 key? This cannot be undone [y/N]", "Nothing revoked"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out.String(), "\tlive\t"+keyID) {
		t.Errorf("stdout:\n%s", out)
	}
}

func TestScanRevokeConfirmed(t *testing.T) {
	f, out, errOut, dir, keyID := scanFixture(t, "y\n", true, nil)
	err := runScan(f, dir, "--revoke")
	if code := cmdutil.ExitCode(err); code != 1 {
		t.Fatalf("exit %d (%v), want 1: a live key was found", code, err)
	}
	if !strings.Contains(errOut.String(), "Revoked "+keyID) || !strings.Contains(out.String(), "\trevoked\t"+keyID) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestScanNeverSendsASessionToken(t *testing.T) {
	var mu sync.Mutex
	var verifyAuth []string
	f, _, _, dir, _ := scanFixture(t, "", false, func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/verify") {
			mu.Lock()
			verifyAuth = append(verifyAuth, r.Header.Get("Authorization"))
			mu.Unlock()
		}
	})
	if err := runScan(f, dir, "--verify"); cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if len(verifyAuth) != 1 || !strings.HasPrefix(verifyAuth[0], "Bearer zup_live_sk_") {
		t.Fatalf("verify requests carried %d credentials, want the one key", len(verifyAuth))
	}
}

func TestScanSuggestsVerifyOnATerminal(t *testing.T) {
	f, _, errOut, dir, _ := scanFixture(t, "", true, nil)
	if err := runScan(f, dir); cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if !strings.Contains(errOut.String(), "Run the scan again with --verify") {
		t.Errorf("no --verify hint on a terminal:\n%s", errOut)
	}
	f, _, errOut, dir, _ = scanFixture(t, "", false, nil)
	_ = runScan(f, dir)
	if strings.Contains(errOut.String(), "--verify") {
		t.Errorf("hint printed without a terminal:\n%s", errOut)
	}
}

func TestScanPointsToRevokeAfterLiveKeysOnATerminal(t *testing.T) {
	f, _, errOut, dir, _ := scanFixture(t, "", true, nil)
	if err := runScan(f, dir, "--verify"); cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if !strings.Contains(errOut.String(), "Revoke the live keys with `zupy keys scan --revoke`") {
		t.Errorf("no --revoke pointer on a terminal:\n%s", errOut)
	}
	f, _, errOut, dir, _ = scanFixture(t, "", false, nil)
	_ = runScan(f, dir, "--verify")
	if strings.Contains(errOut.String(), "--revoke") {
		t.Errorf("pointer printed without a terminal:\n%s", errOut)
	}
}
