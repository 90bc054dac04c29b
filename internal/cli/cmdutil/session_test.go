package cmdutil

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// sessionOf is SessionToken over the factory's resolver.
func sessionOf(f *Factory) (string, credentials.Source, error) {
	r, err := f.Resolve.Credentials()
	if err != nil {
		return "", credentials.Source{}, err
	}
	s, err := resolve.SessionToken(context.Background(), r)
	return s.Token, s.Source, err
}

func TestSessionTokenFromEnvironmentNeverTouchesTheStore(t *testing.T) {
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_SESSION_TOKEN": "zup_sess_fromenv"})
	f.Keyring = &fakeBackend{onCall: func() { t.Error("the keyring was called although ZUPY_SESSION_TOKEN is set") }}
	tok, src, err := sessionOf(f)
	if err != nil || tok != "zup_sess_fromenv" {
		t.Fatalf("SessionToken = %q, %v", tok, err)
	}
	if src.Kind != credentials.SourceEnv || src.Detail != "ZUPY_SESSION_TOKEN" {
		t.Errorf("source %+v, want the environment variable", src)
	}
}

func TestSessionTokenFromKeyring(t *testing.T) {
	backend := &fakeBackend{entries: map[string]string{credentials.Service + "|work/session": "zup_sess_stored"}}
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_PROFILE": "work"})
	f.Keyring = backend
	tok, src, err := sessionOf(f)
	if err != nil || tok != "zup_sess_stored" || src.Kind != credentials.SourceKeyring {
		t.Errorf("SessionToken = %q, %+v, %v; want the work profile's stored session", tok, src, err)
	}
}

func TestSessionTokenMissingIsNotLoggedIn(t *testing.T) {
	for profile, hint := range map[string]string{
		"default": "Run `zupy login`",
		"work":    "Run `zupy login --profile work`",
	} {
		f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_PROFILE": profile})
		f.Keyring = &fakeBackend{}
		_, _, err := sessionOf(f)
		if ExitCode(err) != ExitAuth {
			t.Errorf("%s: exit %d (%v), want 3", profile, ExitCode(err), err)
		}
		code, msg, _, h := Describe(err)
		if code != api.CodeAuthentication || msg != "not logged in" || h != hint {
			t.Errorf("%s: Describe = %q %q %q, want hint %q", profile, code, msg, h, hint)
		}
	}
}

func TestSessionTokenKeyringFailureIsNotNotLoggedIn(t *testing.T) {
	f, _ := newFactory(testEnv{"ZUPY_CONFIG_DIR": t.TempDir()})
	f.Keyring = failingBackend{}
	_, _, err := sessionOf(f)
	var ue *credentials.UnavailableError
	if !errors.As(err, &ue) || ExitCode(err) != ExitError {
		t.Errorf("err = %v (exit %d), want *credentials.UnavailableError with exit 1", err, ExitCode(err))
	}
}

type failingBackend struct{}

func (failingBackend) Get(string, string) (string, error) {
	return "", errors.New("dbus: no session bus")
}
func (failingBackend) Set(string, string, string) error { return errors.New("dbus: no session bus") }
func (failingBackend) Delete(string, string) error      { return errors.New("dbus: no session bus") }

func TestSessionErrorAddsLoginHintOnlyToRefusedSession(t *testing.T) {
	keyringSrc := credentials.Source{Kind: credentials.SourceKeyring}
	for _, c := range []struct {
		name    string
		profile string
		err     error
		src     credentials.Source
		hint    string
	}{
		{"401 authentication_failed from keyring", "default", apiErr(401, api.CodeAuthentication), keyringSrc, "Run `zupy login`"},
		{"401 for a named profile", "work", apiErr(401, api.CodeAuthentication), keyringSrc, "Run `zupy login --profile work`"},
		{"401 from the environment", "default", apiErr(401, api.CodeAuthentication), credentials.Source{Kind: credentials.SourceEnv, Detail: "ZUPY_SESSION_TOKEN"},
			"The session in ZUPY_SESSION_TOKEN was refused: unset it or set a fresh one from `zupy auth token`"},
		{"401 verification_failed", "default", apiErr(401, api.CodeVerification), keyringSrc, ""},
		{"403", "default", apiErr(403, api.CodePermission), keyringSrc, ""},
		{"404", "default", apiErr(404, api.CodeNotFound), keyringSrc, ""},
		{"not an api error", "default", errors.New("boom"), keyringSrc, ""},
	} {
		got := resolve.Session{Source: c.src, Profile: c.profile}.Refused(c.err)
		_, _, _, hint := Describe(got)
		if hint != c.hint {
			t.Errorf("%s: hint %q, want %q", c.name, hint, c.hint)
		}
		if c.hint == "" && got != c.err {
			t.Errorf("%s: error was changed: %v", c.name, got)
		}
		if ExitCode(got) != ExitCode(c.err) {
			t.Errorf("%s: exit code changed from %d to %d", c.name, ExitCode(c.err), ExitCode(got))
		}
		if !strings.Contains(got.Error(), "server says no") && c.hint != "" {
			t.Errorf("%s: message lost: %v", c.name, got)
		}
	}
}

// A stored session goes only to the base URL that issued it; one from
// ZUPY_SESSION_TOKEN, or stored before the issuer was recorded, is sent.
func TestSessionForChecksTheIssuer(t *testing.T) {
	const issuer = "http://127.0.0.1:8790/v1"
	for _, tc := range []struct {
		name    string
		env     testEnv
		entries map[string]string
		target  string
		refused bool
	}{
		{"same issuer", nil, map[string]string{"default/session": "zup_sess_stored", "default/session-issuer": issuer}, issuer + "/", false},
		{"other base URL", nil, map[string]string{"default/session": "zup_sess_stored", "default/session-issuer": issuer}, "https://api.zupy.com/v1", true},
		{"no issuer recorded", nil, map[string]string{"default/session": "zup_sess_stored"}, "https://api.zupy.com/v1", false},
		{"from the environment", testEnv{"ZUPY_SESSION_TOKEN": "zup_sess_fromenv"}, map[string]string{"default/session-issuer": issuer}, "https://api.zupy.com/v1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv{"ZUPY_CONFIG_DIR": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			f, _ := newFactory(env)
			backend := &fakeBackend{entries: map[string]string{}}
			for k, v := range tc.entries {
				backend.entries[credentials.Service+"|"+k] = v
			}
			f.Keyring = backend
			r, err := f.Resolve.Credentials()
			if err != nil {
				t.Fatal(err)
			}
			s, err := resolve.SessionFor(context.Background(), r, tc.target)
			if !tc.refused {
				if err != nil || s.Token == "" {
					t.Fatalf("SessionFor = %+v, %v; want the session", s, err)
				}
				return
			}
			if s.Token != "" {
				t.Errorf("a refused session was returned: %q", s.Token)
			}
			if ExitCode(err) != ExitUsage {
				t.Errorf("exit %d (%v), want 2", ExitCode(err), err)
			}
			_, msg, _, hint := Describe(err)
			if !strings.Contains(msg, issuer) || !strings.Contains(msg, tc.target) {
				t.Errorf("message %q names not both %s and %s", msg, issuer, tc.target)
			}
			if !strings.Contains(hint, "zupy login") || !strings.Contains(hint, "ZUPY_SESSION_TOKEN") {
				t.Errorf("hint %q", hint)
			}
		})
	}
}
