package emulator

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

func TestDefaultDataDirPrecedence(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got, err := DefaultDataDir(env(map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/me"}))
	if err != nil || got != filepath.Join("/xdg", "zupy", "emulator") {
		t.Errorf("with XDG_DATA_HOME: %q, %v", got, err)
	}
	got, err = DefaultDataDir(env(map[string]string{"HOME": "/home/me"}))
	if err != nil || got != filepath.Join("/home/me", ".local", "share", "zupy", "emulator") {
		t.Errorf("with HOME: %q, %v", got, err)
	}
	_, err = DefaultDataDir(env(nil))
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--data-dir") {
		t.Errorf("with neither: %v, want a usage error suggesting --data-dir", err)
	}
}

func run(ctx context.Context, out io.Writer, errOut io.Writer, env map[string]string, args ...string) error {
	f := cmdutil.New(ui.Test(strings.NewReader(""), out, errOut), func(k string) string { return env[k] })
	cmd := NewCmdEmulator(f)
	cmd.SetArgs(args)
	cmd.SetOut(errOut)
	cmd.SetErr(errOut)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	return cmd.ExecuteContext(ctx)
}

func TestStartRefusesBadFlagsAsUsageErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"partner email", []string{"--partner-email", "not-an-email"}, "--partner-email"},
		{"partner whatsapp", []string{"--partner-whatsapp", "12"}, "--partner-whatsapp"},
		{"partner name", []string{"--partner-name", "  "}, "--partner-name"},
		{"trusted proxy", []string{"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "not-an-ip"}, "--trusted-proxy"},
		{"trusted proxy bad mask", []string{"--trusted-proxy", "10.0.0.0/33"}, "--trusted-proxy"},
		{"addr without port", []string{"--addr", "127.0.0.1"}, "--addr"},
		{"allowed host with port", []string{"--allowed-host", "emulator:8790"}, "--allowed-host"},
		{"allowed host URL", []string{"--allowed-host", "http://emulator"}, "--allowed-host"},
		{"addr port out of range", []string{"--addr", "127.0.0.1:99999"}, "from 0 to 65535"},
		{"addr port not a number", []string{"--addr", "127.0.0.1:http"}, "from 0 to 65535"},
		{"data dir with in-memory", []string{"--in-memory", "--data-dir", "/tmp/x"}, "--data-dir"},
		{"positional argument", []string{"now"}, "unexpected argument"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr clitest.SyncBuffer
			dataHome := t.TempDir()
			args := append([]string{"start", "--addr", "127.0.0.1:0"}, c.args...)
			err := run(context.Background(), &stdout, &stderr, map[string]string{"XDG_DATA_HOME": dataHome}, args...)
			if code := cmdutil.ExitCode(err); code != cmdutil.ExitUsage {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %s", err, c.mention)
			}
			if stdout.String() != "" {
				t.Errorf("a refused start printed %q", stdout.String())
			}
			if matches, _ := filepath.Glob(filepath.Join(dataHome, "*")); len(matches) != 0 {
				t.Errorf("a refused start created %v", matches)
			}
		})
	}
}

func TestEmulatorGroupSuggestsSubcommand(t *testing.T) {
	var out clitest.SyncBuffer
	err := run(context.Background(), &out, &out, nil, "strat")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("exit %d (%v), want 2", cmdutil.ExitCode(err), err)
	}
	var ue *cmdutil.UsageError
	_, _, _, hint := cmdutil.Describe(err)
	if !errors.As(err, &ue) || !strings.Contains(hint, "zupy emulator start") && !strings.Contains(hint, "emulator start") {
		t.Errorf("hint %q, want a suggestion of start", hint)
	}
}

func TestStartServesAndShutsDownCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr clitest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, pw, &stderr, nil, "start", "--in-memory", "--addr", "127.0.0.1:0")
		pw.Close()
		done <- err
	}()

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, pr)
	}()
	var base string
	select {
	case line := <-lines:
		base = strings.TrimSuffix(line, "\n")
	case err := <-done:
		t.Fatalf("start returned before printing its URL: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no base URL after 20s\n%s", stderr.String())
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/v1") || strings.HasSuffix(base, ":0/v1") {
		t.Fatalf("first line %q, want http://127.0.0.1:<chosen port>/v1", base)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(base + "/auth/verify")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /auth/verify without a key: %d, want 401", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("start returned %v after cancellation, want nil (clean shutdown)\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("start did not return within 20s of cancellation")
	}
	if _, err := client.Get(base + "/auth/verify"); err == nil {
		t.Error("the emulator still answers after shutdown")
	}
	if !strings.Contains(stderr.String(), "emulator listening") {
		t.Errorf("stderr lacks the listening log:\n%s", stderr.String())
	}
	// Issue 21.11: the banner names the partner codes go to.
	if !strings.Contains(stderr.String(), "\nPartner: Demo Partner, dev@example.com, +5511999990000 (one-time codes go only to these)\n") {
		t.Errorf("stderr does not name the demo partner:\n%s", stderr.String())
	}
}

func TestStartWritesItsDatabaseUnderTheDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr clitest.SyncBuffer
	go func() {
		err := run(ctx, pw, &stderr, nil, "start", "--data-dir", dir, "--addr", "127.0.0.1:0")
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	if !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("first line %q", line)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) == 0 {
		t.Errorf("nothing written under --data-dir %s", dir)
	}
}

func TestNewCmdStartParsesFlagsIntoOptions(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	var got *StartOptions
	cmd := NewCmdStart(f, func(o *StartOptions) error { got = o; return nil })
	err := clitest.Run(context.Background(), f, cmd, "start", "--addr", "127.0.0.1:0", "--in-memory", "--partner-name", "Loja",
		"--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.1", "--allowed-host", "emulator", "--allowed-host", "10.0.0.7")
	if err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:0" || !got.InMemory || got.PartnerName != "Loja" || got.DataDir != "" ||
		strings.Join(got.TrustedProxies, " ") != "10.0.0.0/8 192.0.2.1" || strings.Join(got.AllowedHosts, " ") != "emulator 10.0.0.7" ||
		got.PartnerEmail == "" || got.IO != f.IOStreams {
		t.Errorf("options %+v", got)
	}
}

func TestNewCmdOTPNormalisesTheDestination(t *testing.T) {
	for _, c := range []struct {
		args    []string
		want    string
		wantErr string
	}{
		{[]string{"otp"}, "", ""},
		{[]string{"otp", "--destination", " Dev@Example.com "}, "dev@example.com", ""},
		{[]string{"otp", "--destination", "+55 11 99999-0000"}, "+5511999990000", ""},
		// Issue 21.11: every form login takes, the Brazilian national one too.
		{[]string{"otp", "--destination", "(11) 98765-4321"}, "+5511987654321", ""},
		{[]string{"otp", "--destination", "011 98765-4321"}, "+5511987654321", ""},
		{[]string{"otp", "--destination", "+55 (11) 98765-4321"}, "+5511987654321", ""},
		{[]string{"otp", "--destination", "nope"}, "", "invalid --destination"},
		{[]string{"otp", "--destination", "98765-4321"}, "", "invalid --destination"},
	} {
		f, _, _ := clitest.Factory(nil, "")
		var got *OTPOptions
		cmd := NewCmdOTP(f, func(o *OTPOptions) error { got = o; return nil })
		err := clitest.Run(context.Background(), f, cmd, c.args...)
		if c.wantErr != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), c.wantErr) || got != nil {
				t.Errorf("%q: err %v; want a usage error before the run", c.args, err)
			}
			continue
		}
		if err != nil || got.Destination != c.want || got.Client == nil {
			t.Errorf("%q: err %v, options %+v; want destination %q", c.args, err, got, c.want)
		}
	}
}

// --no-usage is for make bench only: hidden from help, and it reaches the
// emulator's configuration.
func TestStartNoUsageIsHiddenAndTurnsStatisticsOff(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	var got *StartOptions
	cmd := NewCmdStart(f, func(o *StartOptions) error { got = o; return nil })
	if fl := cmd.Flags().Lookup("no-usage"); fl == nil || !fl.Hidden {
		t.Fatalf("--no-usage: %+v, want a hidden flag", fl)
	}
	if err := clitest.Run(context.Background(), f, cmd, "start", "--in-memory", "--no-usage"); err != nil {
		t.Fatal(err)
	}
	cfg, err := got.config()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.NoUsageStats {
		t.Error("--no-usage did not reach Config.NoUsageStats")
	}
}
