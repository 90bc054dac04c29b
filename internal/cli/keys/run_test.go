package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// readOnlyKeyring reads (nothing is stored) but refuses every write, like a
// keyring whose collection locks between the probe and the save.
type readOnlyKeyring struct{}

func (readOnlyKeyring) Get(service, user string) (string, error) { return "", credentials.ErrNotFound }
func (readOnlyKeyring) Set(service, user, password string) error {
	return errors.New("collection is locked")
}
func (readOnlyKeyring) Delete(service, user string) error { return credentials.ErrNotFound }

func runFactory(t *testing.T, env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	env["ZUPY_CONFIG_DIR"] = t.TempDir()
	f, out, errOut := clitest.Factory(env, "")
	f.Global.Retries, f.Global.Timeout = 0, 10*time.Second
	return f, out, errOut
}

var secretLine = regexp.MustCompile(`^zup_live_sk_[A-Za-z0-9]{20}\n$`)

func TestCreatePrintsTheSecretWhenSavingFails(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	f, out, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	f.Keyring = readOnlyKeyring{}
	cmd := NewCmdCreate(f, nil)
	cmd.SetArgs([]string{"--name", "x", "--scopes", "loyalty:read", "--save"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.ExecuteContext(context.Background())
	if err == nil {
		t.Fatal("create --save succeeded with a keyring that refuses writes")
	}
	if !secretLine.MatchString(out.String()) {
		t.Errorf("stdout = %q, want the secret alone despite the failed save", out.String())
	}
	if strings.Contains(err.Error(), strings.TrimSpace(out.String())) {
		t.Error("the error message contains the secret")
	}
	_, msg, _, hint := cmdutil.Describe(err)
	if !strings.Contains(msg, "was created but its secret could not be saved") || !strings.Contains(hint, "zupy keys import") {
		t.Errorf("message %q, hint %q", msg, hint)
	}
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitError {
		t.Errorf("exit code %d, want 1", code)
	}
}

func TestRotatePrintsTheSecretWhenVerificationFails(t *testing.T) {
	refuseVerify := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/auth/verify" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"authentication_failed","message":"Invalid or expired API key","details":{}}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	base, session := clitest.Emulator(t, refuseVerify)
	ctx := context.Background()
	key, _, err := api.New(api.Options{BaseURL: base}).CreateKey(ctx, session, api.CreateKeyRequest{Name: "x", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	f, out, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	cmd := NewCmdRotate(f, nil)
	cmd.SetArgs([]string{key.KeyID})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err = cmd.ExecuteContext(ctx)
	if err == nil {
		t.Fatal("rotate succeeded although GET /auth/verify refused the new key")
	}
	if !secretLine.MatchString(out.String()) {
		t.Errorf("stdout = %q, want the new secret alone", out.String())
	}
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want 3", code)
	}
	if _, _, _, hint := cmdutil.Describe(err); !strings.Contains(hint, "was created and its secret printed above") {
		t.Errorf("hint = %q", hint)
	}

	// --no-verify skips the check.
	f, out, _ = runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	next, _, err := api.New(api.Options{BaseURL: base}).CreateKey(ctx, session, api.CreateKeyRequest{Name: "y", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	cmd = NewCmdRotate(f, nil)
	cmd.SetArgs([]string{next.KeyID, "--no-verify"})
	if err := cmd.ExecuteContext(ctx); err != nil || !secretLine.MatchString(out.String()) {
		t.Errorf("rotate --no-verify: %v, stdout %q", err, out.String())
	}
}

// recordingKeyring holds nothing and counts the calls made to it.
type recordingKeyring struct{ calls int }

func (k *recordingKeyring) Get(service, user string) (string, error) {
	k.calls++
	return "", credentials.ErrNotFound
}
func (k *recordingKeyring) Set(service, user, password string) error { k.calls++; return nil }
func (k *recordingKeyring) Delete(service, user string) error        { k.calls++; return nil }

// TestListLeavesTheKeyringAloneWithAnEnvironmentSession: keys list marks
// the saved keys on a terminal, but with the session from
// ZUPY_SESSION_TOKEN it must not open the keyring to find them.
func TestListLeavesTheKeyringAloneWithAnEnvironmentSession(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	f, out, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	f.IOStreams.SetTTY(false, true, false)
	kr := &recordingKeyring{}
	f.Keyring = kr
	if err := clitest.Run(context.Background(), f, NewCmdKeys(f), "keys", "create", "--name", "x", "--scopes", "loyalty:read"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := clitest.Run(context.Background(), f, NewCmdKeys(f), "keys", "list"); err != nil {
		t.Fatal(err)
	}
	if kr.calls != 0 {
		t.Errorf("keys list made %d keyring calls with the session in the environment", kr.calls)
	}
	if !strings.Contains(out.String(), "x") {
		t.Errorf("list output:\n%s", out.String())
	}
}

// keys list shows the first page and how to see more on a terminal, and
// every key in a pipe unless --limit says otherwise.
func TestListPagesOnATerminalAndListsEveryKeyInAPipe(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	ctx := context.Background()
	c := api.New(api.Options{BaseURL: base})
	for range api.DefaultPageLimit + 2 {
		if _, _, err := c.CreateKey(ctx, session, api.CreateKeyRequest{Name: "k", Permissions: []string{"loyalty:read"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.AdvanceClock(ctx, 61); err != nil { // a fresh session budget
		t.Fatal(err)
	}
	rows := func(tty bool, args ...string) (int, string) {
		t.Helper()
		f, out, errOut := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
		f.IOStreams.SetTTY(false, tty, tty)
		if err := clitest.Run(ctx, f, NewCmdKeys(f), append([]string{"keys", "list"}, args...)...); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(args, "json") {
			return strings.Count(out.String(), `"key_id":`), errOut.String()
		}
		n := 0
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, "key_") {
				n++
			}
		}
		return n, errOut.String()
	}
	if n, hint := rows(true); n != api.DefaultPageLimit || !strings.Contains(hint, "see more with --limit N, or every key with --all") {
		t.Errorf("terminal: %d rows, stderr %q; want the first page and how to see more", n, hint)
	}
	// stderr may hold the spinner a slow answer shows on a terminal; it
	// must not say there is more to see.
	if n, hint := rows(true, "--all"); n != api.DefaultPageLimit+2 || strings.Contains(hint, "see more") {
		t.Errorf("terminal --all: %d rows, stderr %q; want every key and no hint", n, hint)
	}
	if n, _ := rows(false); n != api.DefaultPageLimit+2 {
		t.Errorf("pipe: %d rows, want every key", n)
	}
	if n, _ := rows(false, "-o", "json"); n != api.DefaultPageLimit+2 {
		t.Errorf("pipe -o json: %d keys, want every key", n)
	}
	if n, _ := rows(false, "--limit", "3"); n != 3 {
		t.Errorf("pipe --limit 3: %d rows", n)
	}
}

// A server without usage data (its usage route answers a plain 404) makes
// keys usage say so and exit 1; an unknown key stays exit 7.
func TestUsageTellsAMissingRouteFromAnUnknownKey(t *testing.T) {
	base, session := clitest.Emulator(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/usage") && strings.Contains(r.URL.Path, "key_0000000000aa") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, `{"error":"not_found","message":"Not found","details":{"error_code":"NOT_FOUND"}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	f, _, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
	err := clitest.Run(context.Background(), f, NewCmdKeys(f), "keys", "usage", "key_0000000000aa")
	if err == nil || !strings.Contains(err.Error(), "the API does not offer usage data") || cmdutil.ExitCode(err) != 1 {
		t.Errorf("missing route: %v (exit %d), want the API does not offer usage data, exit 1", err, cmdutil.ExitCode(err))
	}
	err = clitest.Run(context.Background(), f, NewCmdKeys(f), "keys", "usage", "key_0000000000bb")
	if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitNotFound {
		t.Errorf("unknown key: %v (exit %d), want exit 7", err, cmdutil.ExitCode(err))
	}
}
