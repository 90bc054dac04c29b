package root_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// evil retitles and clears a terminal (OSC 0, BEL, ED), opens a C1 CSI
// (U+009B) and turns the rest of the line right-to-left (U+202E).
const evil = "\u001b]0;T\u0007\u001b[2J\u009b31m\u202e"

// evilHeader is what a header value can carry through net/http: bytes
// above 0x7f (C1 as UTF-8, bidi), not C0.
const evilHeader = "\u009b2J\u202e"

// poison appends evil to every string reachable from v (fields, pointers,
// slices, maps), allocating nil pointers and giving empty slices one
// element, so that a field added to a wire type is poisoned without a
// change here.
func poison(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + evil)
	case reflect.Pointer:
		if v.IsNil() {
			if v.Type().Elem().Kind() != reflect.String && v.Type().Elem().Kind() != reflect.Struct {
				return // *time.Time and the like stay null
			}
			v.Set(reflect.New(v.Type().Elem()))
		}
		poison(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				poison(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		}
		for i := 0; i < v.Len(); i++ {
			poison(v.Index(i))
		}
	case reflect.Map:
		if v.Type() == reflect.TypeOf(map[string]any{}) {
			v.Set(reflect.ValueOf(map[string]any{
				"error_code": "IP_NOT_ALLOWED" + evil, "field" + evil: "name" + evil, "documentation_url": "https://docs.zupy.com/authentication" + evil,
				"required_permission": "loyalty:read" + evil, "current_permissions": []any{"customer:read" + evil},
				"attempts_remaining": 2, "retry_after": 1,
			}))
		}
	}
}

func poisoned[T any](base T) T {
	poison(reflect.ValueOf(&base).Elem())
	return base
}

// hostileKey is a realistic key object before poisoning.
func hostileKey(secrets bool) wire.Key {
	now := time.Now().UTC()
	k := poisoned(wire.Key{
		KeyID: "key_0123456789ab", Name: "PDV", Description: "d", Permissions: []string{"loyalty:read"}, RateLimit: 100,
		Environment: "production", IPRestrictions: []string{"10.0.0.0/8"}, CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour),
		Status: "active", KeyHint: "zup_live_sk_…AAAA", APIKey: hostileAPIKey,
		PreviousKey:  &wire.PreviousKey{KeyID: "key_ba9876543210", ExpiresAt: now.Add(time.Hour), Status: "active"},
		LastRotation: &wire.Rotation{At: now, By: "session"},
	})
	if !secrets {
		k.APIKey = hostileAPIKey
	}
	return k
}

const hostileAPIKey = "zup_live_sk_AAAAAAAAAAAAAAAAAAAA" // zupy:allow

// hostileServer answers every route the client decodes with every string
// poisoned; with errStatus set, every /v1 route answers that error, its
// body poisoned. secrets poisons the session token and API key too (which
// the client must then refuse or show inert).
func hostileServer(t *testing.T, errStatus int, secrets bool) string {
	t.Helper()
	now := time.Now().UTC()
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "99")
		w.Header().Set("X-RateLimit-Reset", "1700000000")
		w.Header().Set("X-RateLimit-Window", "60")
		w.Header().Set("X-Evil", "v"+evilHeader)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if errStatus != 0 && strings.HasPrefix(p, "/v1/") {
			write(w, errStatus, poisoned(wire.ErrorBody{Error: "permission_denied", Message: "Insufficient permissions"}))
			return
		}
		key := hostileKey(secrets)
		switch {
		case p == "/v1/auth/otp":
			write(w, http.StatusAccepted, poisoned(wire.OTPChallenge{VerificationID: "ver_1", Channel: "email", DestinationHint: "d***@example.com",
				ExpiresAt: now.Add(10 * time.Minute), ResendAfter: now.Add(time.Minute)}))
		case p == "/v1/auth/otp/verify":
			l := poisoned(wire.Login{SessionToken: hostileSession, ExpiresAt: now.Add(24 * time.Hour), Partner: wire.Partner{ID: "p", Name: "Demo", Email: "dev@example.com", WhatsApp: "+5511999990000"}})
			if !secrets {
				l.SessionToken = hostileSession
			}
			write(w, http.StatusOK, l)
		case p == "/v1/auth/session" && r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case p == "/v1/auth/session":
			write(w, http.StatusOK, poisoned(wire.Session{Partner: wire.Partner{ID: "p", Name: "Demo", Email: "dev@example.com"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
		case p == "/v1/auth/verify":
			write(w, http.StatusOK, poisoned(wire.Verification{Authenticated: true, KeyID: "key_0123456789ab", Environment: "production",
				Permissions: []string{"loyalty:read"}, RateLimit: wire.RateLimitState{Limit: 100, Remaining: 99, ResetAt: now.Add(time.Minute)}}))
		case p == "/v1/api-keys" && r.Method == http.MethodGet:
			write(w, http.StatusOK, poisoned(wire.KeyList{Data: []wire.Key{key, key}}))
		case strings.HasPrefix(p, "/v1/api-keys") && r.Method == http.MethodPost:
			write(w, http.StatusCreated, key)
		case strings.HasPrefix(p, "/v1/api-keys/"):
			key.APIKey, key.PreviousKey = "", nil
			write(w, http.StatusOK, key)
		case p == "/_emulator/outbox":
			write(w, http.StatusOK, poisoned(wire.Outbox{Messages: []wire.OutboxMessage{{Channel: "email", Destination: "dev@example.com", Code: "123456", SentAt: now}}}))
		case p == "/_emulator/clock":
			write(w, http.StatusOK, wire.ClockState{Now: now})
		case p == "/v1/loyalty/program":
			write(w, http.StatusOK, poisoned(map[string]any{}))
		case p == "/v1/raw":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Evil", "v"+evilHeader)
			_, _ = w.Write([]byte("plain " + evil + " raw \x9b byte\n"))
		default:
			t.Errorf("hostile server: unexpected %s %s", r.Method, p)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const hostileSession = "zup_sess_0123456789abcdefghijABCDEFGHIJ0123456789" // zupy:allow

// hostileCommands are the commands that decode a server's answer, with
// what they need on stdin.
var hostileCommands = []struct {
	args  []string
	stdin string
}{
	{[]string{"ping"}, ""},
	{[]string{"ping", "--count", "2", "--interval", "1ms"}, ""},
	{[]string{"ping", "--permission", "loyalty:read"}, ""},
	{[]string{"auth", "status"}, ""},
	{[]string{"login", "--email", "dev@example.com", "--request-only"}, ""},
	{[]string{"login", "--verification-id", "ver_1", "--code-stdin"}, "123456\n"},
	{[]string{"logout"}, ""},
	{[]string{"keys", "list"}, ""},
	{[]string{"keys", "show", "key_0123456789ab"}, ""},
	{[]string{"keys", "create", "--name", "n", "--scopes", "loyalty:read"}, ""},
	{[]string{"keys", "create", "--name", "n", "--scopes", "loyalty:read", "--save", "--default"}, ""},
	{[]string{"keys", "update", "key_0123456789ab", "--name", "m"}, ""},
	{[]string{"keys", "rotate", "key_0123456789ab"}, ""},
	{[]string{"keys", "rotate", "key_0123456789ab", "--no-verify", "--save"}, ""},
	{[]string{"keys", "rotate", "--self"}, ""},
	{[]string{"keys", "revoke", "key_0123456789ab", "--yes"}, ""},
	{[]string{"keys", "import"}, hostileAPIKey + "\n"},
	{[]string{"keys", "scan", "--stdin", "--verify"}, "k=" + hostileAPIKey + "\n"},
	{[]string{"keys", "scan", "--stdin", "--verify", "--revoke", "--yes"}, "k=" + hostileAPIKey + "\n"},
	{[]string{"auth", "status", "--all"}, ""},
	{[]string{"emulator", "otp"}, ""},
	{[]string{"api", "/loyalty/program"}, ""},
	{[]string{"api", "-i", "/loyalty/program"}, ""},
	{[]string{"api", "/raw"}, ""},
	{[]string{"api", "-i", "/raw"}, ""},
}

// TestServerStringsNeverReachTheTerminalRaw runs every command that
// decodes an answer against a server that puts a control sequence in every
// string of every answer (and C1 and bidi controls in headers), with
// stdout and stderr terminals and colour off, in text and JSON, for
// successes and error bodies alike. No control character but a line break
// or tab may reach the output, and no byte that is not UTF-8: lipgloss adds
// none with colour off, and the spinner's line clearing is the only
// sequence zupy itself writes (docs/security-model.md#the-servers-strings).
func TestServerStringsNeverReachTheTerminalRaw(t *testing.T) {
	for _, mode := range []struct {
		name      string
		errStatus int
		secrets   bool
	}{{"answers", 0, false}, {"answers with poisoned secrets", 0, true}, {"403 bodies", 403, false}, {"400 bodies", 400, false}, {"401 bodies", 401, false}} {
		base := hostileServer(t, mode.errStatus, mode.secrets)
		for _, c := range hostileCommands {
			for _, output := range []string{"text", "json"} {
				name := mode.name + "/" + strings.Join(c.args, " ") + "/" + output
				dir := t.TempDir()
				env := map[string]string{
					"ZUPY_CONFIG_DIR": filepath.Join(dir, "config"), "ZUPY_BASE_URL": base + "/v1", "NO_COLOR": "1",
					"ZUPY_SESSION_TOKEN": hostileSession, "ZUPY_API_KEY": hostileAPIKey, "XDG_STATE_HOME": filepath.Join(dir, "state"),
				}
				if c.args[0] == "login" || c.args[0] == "logout" || c.args[0] == "keys" && c.args[1] == "import" {
					delete(env, "ZUPY_SESSION_TOKEN")
					delete(env, "ZUPY_API_KEY")
				}
				var out, errOut bytes.Buffer
				io := ui.Test(strings.NewReader(c.stdin), &out, &errOut)
				io.SetTTY(false, true, true)
				io.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
				f := cmdutil.New(io, func(k string) string { return env[k] })
				kr := &clitest.FileKeyring{Path: filepath.Join(dir, "keyring.json")}
				if c.args[0] == "logout" {
					_ = kr.Set("zupy", "default/session", hostileSession) // so that logout calls the server
				}
				f.Keyring = kr
				f.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
				args := c.args
				if output == "json" {
					args = append([]string{"-o", "json"}, args...)
				}
				code := root.Run(context.Background(), f, args)
				shown := strings.ReplaceAll(out.String()+errOut.String(), "\r\x1b[K", "") // the spinner's own clearing
				if bad, at := firstUnsafe(shown); bad != "" {
					t.Errorf("%s (exit %d): %s reached the terminal at byte %d:\n%q", name, code, bad, at, shown)
				}
			}
		}
	}
}

// firstUnsafe names the first character of s that a terminal would act on.
func firstUnsafe(s string) (string, int) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return "a byte that is not UTF-8", i
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return fmt.Sprintf("control character %U", r), i
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f':
			return fmt.Sprintf("bidi control %U", r), i
		}
		i += n
	}
	return "", 0
}

// TestAPIPassesBodiesThroughWhenPiped: piped, `zupy api` writes the body
// and the -i headers exactly as received, control bytes and all (a script
// may need them); only a terminal gets them escaped.
func TestAPIPassesBodiesThroughWhenPiped(t *testing.T) {
	base := hostileServer(t, 0, false)
	env := map[string]string{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_BASE_URL": base + "/v1", "ZUPY_API_KEY": hostileAPIKey}
	f, out, errOut := clitest.Factory(env, "")
	if code := root.Run(context.Background(), f, []string{"api", "-i", "/raw"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasSuffix(out.String(), "\n\nplain "+evil+" raw \x9b byte\n") || !strings.Contains(out.String(), "X-Evil: v"+evilHeader+"\n") {
		t.Errorf("piped output was altered: %q", out.String())
	}
}
