package root_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// TestFlagErrorsNeverEchoASecret pastes a secret into every flag and
// argument whose bad value zupy echoes in its error, including cobra's own
// flag errors, and checks that stderr holds only its masked form, in text
// and in JSON (docs/security-model.md). Nothing may reach the server.
func TestFlagErrorsNeverEchoASecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	// Hand-written fixtures (a run of six), never real secrets.
	for _, secret := range []string{
		"zup_live_sk_AAAAAAQrStUvWxYz98765431",              // zupy:allow
		"zup_test_sk_BBBBBBkLmNoPqRsTuV13579",               // zupy:allow
		"zup_sess_0123456789abcdefghijABCDEFGHIJ0123456789", // zupy:allow
	} {
		masked := apikey.Mask(secret)
		for _, args := range [][]string{
			{"ping", "--key-id", secret},
			{"ping", "--count", secret},
			{"config", "set", "default_key_id", secret},
			{"config", "set", "base_url", secret},
			{"config", "set", "environment", secret},
			{"--profile", secret, "auth", "status"},
			{"--base-url", secret, "scopes"},
			{"--output", secret, "scopes"},
			{"keys", "create", "--name", "n", "--scopes", secret},
			{"keys", "create", "--name", "n", "--scopes", "loyalty:read", "--allow-ip", secret},
			{"keys", "create", "--name", "n", "--scopes", "loyalty:read", "--expires", secret},
			{"keys", "create", "--name", "n", "--scopes", "loyalty:read", "--expires-in", secret},
			{"keys", "create", "--name", "n", "--scopes", "loyalty:read", "--environment", secret},
			{"keys", "update", "key_0123456789ab", "--add-scope", secret},
			{"keys", "list", "--status", secret},
			{"keys", "scan", filepath.Join(t.TempDir(), secret)},
			{"keys", "show", secret},
			{"--jq", ".[] | error(\"" + secret + "\")", "scopes"},
			{"--jq", secret + "(", "scopes"},
			{"--template", "{{" + secret + "}}", "scopes"},
			{"scopes", "--" + secret},
			{secret},
		} {
			for _, output := range []string{"text", "json"} {
				env := map[string]string{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_BASE_URL": srv.URL + "/v1", "ZUPY_SESSION_TOKEN": "zup_sess_" + strings.Repeat("0", 40)}
				f, out, errOut := clitest.Factory(env, "")
				a := args
				if output == "json" {
					a = append([]string{"-o", "json"}, args...)
				}
				code := root.Run(context.Background(), f, a)
				if code == 0 {
					t.Errorf("zupy %s: exit 0, want an error", strings.Join(a, " "))
					continue
				}
				all := out.String() + errOut.String()
				if strings.Contains(all, secret) {
					t.Errorf("zupy %s (exit %d) echoed the secret whole:\n%s", strings.Join(a, " "), code, all)
				}
				if !strings.Contains(errOut.String(), masked) && !strings.Contains(errOut.String(), "unexpected EOF") {
					t.Errorf("zupy %s: stderr does not name the value masked (%s):\n%s", strings.Join(a, " "), masked, errOut.String())
				}
			}
		}
	}
}
