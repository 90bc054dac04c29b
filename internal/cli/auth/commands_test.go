package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// loginFlags are the parsed fields of LoginOptions, to compare.
type loginFlags struct {
	Email, WhatsApp, Channel, VerificationID, Profile string
	InsecureStorage, RequestOnly, CodeStdin, JSON     bool
}

func flagsOf(o *LoginOptions) loginFlags {
	return loginFlags{o.Email, o.WhatsApp, o.Channel, o.VerificationID, o.Profile, o.InsecureStorage, o.RequestOnly, o.CodeStdin, o.JSON}
}

func TestNewCmdLogin(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		env     map[string]string
		tty     bool
		want    loginFlags
		wantErr string
	}{
		{"request only, e-mail normalised", []string{"login", "--email", " Dev@Example.com ", "--request-only", "-o", "json"}, nil, false,
			loginFlags{Email: "dev@example.com", RequestOnly: true, Profile: "default", JSON: true}, ""},
		{"whatsapp normalised", []string{"login", "--whatsapp", "+55 11 99999-0000", "--request-only"}, nil, false,
			loginFlags{WhatsApp: "+5511999990000", RequestOnly: true, Profile: "default"}, ""},
		{"second step", []string{"--profile", "work", "login", "--verification-id", "ver_x", "--code-stdin", "--insecure-storage"}, nil, false,
			loginFlags{VerificationID: "ver_x", CodeStdin: true, InsecureStorage: true, Profile: "work"}, ""},
		{"interactive on a terminal", []string{"login", "--channel", "email"}, nil, true, loginFlags{Channel: "email", Profile: "default"}, ""},
		{"no terminal", []string{"login"}, nil, false, loginFlags{}, "login needs a terminal to prompt on"},
		{"session in the environment", []string{"login", "--email", "a@example.com", "--request-only"}, map[string]string{"ZUPY_SESSION_TOKEN": "x"}, true,
			loginFlags{}, "the session comes from ZUPY_SESSION_TOKEN: login does not replace it"},
		{"bad e-mail", []string{"login", "--email", "nope", "--request-only"}, nil, false, loginFlags{}, "invalid --email: "},
		{"bad channel", []string{"login", "--email", "a@example.com", "--channel", "sms", "--request-only"}, nil, false, loginFlags{}, "invalid --channel: "},
		{"channel against destination", []string{"login", "--email", "a@example.com", "--channel", "whatsapp", "--request-only"}, nil, false,
			loginFlags{}, "--channel whatsapp needs --whatsapp, not --email"},
		{"request only without destination", []string{"login", "--request-only"}, nil, false, loginFlags{}, "--request-only needs --email or --whatsapp"},
		{"code-stdin alone", []string{"login", "--code-stdin"}, nil, true, loginFlags{}, "--code-stdin needs --verification-id"},
		{"verification id with a destination", []string{"login", "--verification-id", "v", "--email", "a@example.com"}, nil, true,
			loginFlags{}, "--verification-id completes an earlier request"},
		{"verification id without a terminal or stdin", []string{"login", "--verification-id", "v"}, nil, false,
			loginFlags{}, "--verification-id needs --code-stdin when not running interactively"},
		{"positional argument", []string{"login", "dev@example.com"}, nil, true, loginFlags{}, `unexpected argument "dev@example.com"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, _, _ := clitest.Factory(c.env, "")
			f.IOStreams.SetTTY(c.tty, c.tty, c.tty)
			var got *LoginOptions
			err := clitest.Run(context.Background(), f, NewCmdLogin(f, func(o *LoginOptions) error { got = o; return nil }), c.args...)
			if c.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), c.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v (exit %d), want a usage error starting %q", err, cmdutil.ExitCode(err), c.wantErr)
				}
				if got != nil {
					t.Fatal("the run function ran after a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if flagsOf(got) != c.want {
				t.Errorf("options = %+v, want %+v", flagsOf(got), c.want)
			}
		})
	}
}

func TestNewCmdLogoutStatusAndToken(t *testing.T) {
	for _, c := range []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(any) bool
		wantErr string
	}{
		{"logout", []string{"logout"}, nil, func(o any) bool { l := o.(*LogoutOptions); return !l.All && l.Profile == "default" }, ""},
		{"logout --all", []string{"logout", "--all"}, nil, func(o any) bool { return o.(*LogoutOptions).All }, ""},
		{"logout of a profile", []string{"logout", "--profile", "work"}, nil, func(o any) bool { return o.(*LogoutOptions).Profile == "work" }, ""},
		{"logout with the session in the environment", []string{"logout"}, map[string]string{"ZUPY_SESSION_TOKEN": "x"}, nil,
			"the session comes from ZUPY_SESSION_TOKEN: logout does not touch it"},
		{"logout with an argument", []string{"logout", "work"}, nil, nil, `unexpected argument "work"`},
		{"status -o json", []string{"auth", "status", "-o", "json"}, map[string]string{"ZUPY_PROFILE": "ci"}, func(o any) bool {
			s := o.(*StatusOptions)
			return s.JSON && s.Profile == "ci" && s.Resolve != nil && s.ClientFor != nil
		}, ""},
		{"status with an argument", []string{"auth", "status", "x"}, nil, nil, `unexpected argument "x"`},
		{"token", []string{"auth", "token"}, nil, func(o any) bool { return o.(*TokenOptions).Resolver != nil }, ""},
		{"token with an argument", []string{"auth", "token", "x"}, nil, nil, `unexpected argument "x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, _, _ := clitest.Factory(c.env, "")
			var got any
			keep := func(o any) error { got = o; return nil }
			group := NewCmdAuth(f)
			group.RemoveCommand(group.Commands()...)
			group.AddCommand(NewCmdStatus(f, func(o *StatusOptions) error { return keep(o) }), NewCmdToken(f, func(o *TokenOptions) error { return keep(o) }))
			root := clitest.Root(f, group, NewCmdLogout(f, func(o *LogoutOptions) error { return keep(o) }))
			root.SetArgs(c.args)
			err := root.ExecuteContext(context.Background())
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr || cmdutil.ExitCode(err) != cmdutil.ExitUsage || got != nil {
					t.Fatalf("err = %v, ran %v; want usage error %q before the run", err, got != nil, c.wantErr)
				}
				return
			}
			if err != nil || got == nil || !c.check(got) {
				t.Fatalf("err = %v, options %+v", err, got)
			}
		})
	}
}

// refusing answers every request with status and an API error body.
func refusing(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func TestLogoutRemovesTheSessionWhenTheServerRefusesToRevokeIt(t *testing.T) {
	base := refusing(t, 500, `{"error":"internal_error","message":"boom"}`)
	dir := t.TempDir()
	env := map[string]string{"ZUPY_CONFIG_DIR": dir, "ZUPY_BASE_URL": base}
	f, _, errOut := clitest.Factory(env, "")
	store := credentials.NewFile(filepath.Join(dir, "credentials.yaml"))
	ctx := context.Background()
	if err := store.Set(ctx, credentials.SessionAccount("default"), "zup_sess_"+strings.Repeat("a", 40)); err != nil {
		t.Fatal(err)
	}
	opts := &LogoutOptions{IO: f.IOStreams, Config: f.Config, Profile: "default", ForProfile: func(string) *cmdutil.Factory {
		p := *f
		p.Resolve = clitest.ResolverOver(f, store)
		return &p
	}}
	if err := logoutRun(ctx, opts); err != nil {
		t.Fatalf("logout failed although only the server refused: %v", err)
	}
	if _, err := store.Get(ctx, credentials.SessionAccount("default")); !errors.Is(err, credentials.ErrNotFound) {
		t.Errorf("the session is still stored: %v", err)
	}
	if s := errOut.String(); !strings.Contains(s, "Could not revoke the session on the server") || !strings.Contains(s, "Logged out of profile default") {
		t.Errorf("stderr = %q", s)
	}
}

// memStore is a credential store in memory whose reads can be made to fail.
type memStore struct {
	m       map[string]string
	failGet error
}

func (s *memStore) Get(_ context.Context, account string) (string, error) {
	if s.failGet != nil {
		return "", s.failGet
	}
	v, ok := s.m[account]
	if !ok {
		return "", credentials.ErrNotFound
	}
	return v, nil
}
func (s *memStore) Set(_ context.Context, account, secret string) error {
	s.m[account] = secret
	return nil
}
func (s *memStore) Delete(_ context.Context, account string) error { delete(s.m, account); return nil }
func (s *memStore) Location() string                               { return "keyring" }

func statusOptions(t *testing.T, base string, store credentials.Store) (*StatusOptions, *strings.Builder) {
	t.Helper()
	f, _, _ := clitest.Factory(map[string]string{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_BASE_URL": base}, "")
	var b strings.Builder
	f.IOStreams.Out = &b
	return &StatusOptions{
		IO: f.IOStreams, Profile: "default", Now: time.Now, ClientFor: f.ClientFor, JSON: true,
		Resolve: clitest.ResolverOver(f, store),
	}, &b
}

func TestStatusOfARefusedSessionSaysWhyAndExits3(t *testing.T) {
	base := refusing(t, 401, `{"error":"authentication_failed","message":"Session has expired"}`)
	store := &memStore{m: map[string]string{credentials.SessionAccount("default"): "zup_sess_" + strings.Repeat("b", 40)}}
	opts, out := statusOptions(t, base, store)
	err := statusRun(context.Background(), opts)
	var silent *cmdutil.SilentError
	if !errors.As(err, &silent) || cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("err = %v, want a silent exit 3", err)
	}
	if !strings.Contains(out.String(), `"problem": "session has expired"`) || !strings.Contains(out.String(), `"logged_in": false`) {
		t.Errorf("status = %s", out.String())
	}
}

func TestStatusWithAnUnreadableStoreIsAnError(t *testing.T) {
	broken := errors.New("collection is locked")
	opts, out := statusOptions(t, config.DefaultBaseURL, &memStore{m: map[string]string{}, failGet: broken})
	err := statusRun(context.Background(), opts)
	if !errors.Is(err, broken) || cmdutil.ExitCode(err) != cmdutil.ExitError {
		t.Fatalf("err = %v (exit %d), want the store's error with exit 1", err, cmdutil.ExitCode(err))
	}
	if out.Len() != 0 {
		t.Errorf("status printed %q after failing", out.String())
	}
}

func TestTokenPrintsTheStoredSessionAlone(t *testing.T) {
	token := "zup_sess_" + strings.Repeat("c", 40)
	f, out, _ := clitest.Factory(nil, "")
	opts := &TokenOptions{IO: f.IOStreams, Resolver: func() (credentials.Resolver, error) {
		return credentials.Resolver{Store: &memStore{m: map[string]string{credentials.SessionAccount("work"): token}}, Getenv: func(string) string { return "" }, Profile: "work"}, nil
	}}
	if err := tokenRun(context.Background(), opts); err != nil || out.String() != token+"\n" {
		t.Fatalf("token = %q, %v", out.String(), err)
	}
	opts.Resolver = func() (credentials.Resolver, error) {
		return credentials.Resolver{Store: &memStore{m: map[string]string{}}, Getenv: func(string) string { return "" }, Profile: "work"}, nil
	}
	err := tokenRun(context.Background(), opts)
	if _, _, _, hint := cmdutil.Describe(err); cmdutil.ExitCode(err) != cmdutil.ExitAuth || hint != "Run `zupy login --profile work`" {
		t.Errorf("no session: err %v, hint %q; want exit 3 and the login hint", err, hint)
	}
}
