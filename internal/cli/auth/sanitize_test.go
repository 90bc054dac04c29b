package auth

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// TestLoginNeutralisesServerTextOnTheTerminal: a hostile or tampered API must
// not reach the terminal with escape sequences through the partner's name,
// e-mail or the destination hint (OSC 52 would write the clipboard).
func TestLoginNeutralisesServerTextOnTheTerminal(t *testing.T) {
	const evil = "\x1b]52;c;ZXZpbA==\x07Evil\u202e Corp"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/auth/otp":
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"verification_id":"ver_x","channel":"email","destination_hint":"d\u001b[2J@example.com","expires_at":"2030-01-01T00:00:00Z","resend_after":"2030-01-01T00:00:00Z"}`))
		case "/v1/auth/otp/verify":
			w.Write([]byte(`{"session_token":"zup_sess_sanitizetestsanitizetestsanitizetest12","expires_at":"2030-01-01T00:00:00Z","partner":{"id":"p","name":"` +
				strings.ReplaceAll(strings.ReplaceAll(evil, "\x1b", `\u001b`), "\x07", `\u0007`) + `","email":"e\u001b[31m@example.com","whatsapp":""}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"ZUPY_BASE_URL": srv.URL + "/v1", "ZUPY_CONFIG_DIR": dir}
	getenv := func(k string) string { return env[k] }

	for _, args := range [][]string{
		{"--email", "dev@example.com", "--request-only", "--insecure-storage"},
		{"--verification-id", "ver_x", "--code-stdin", "--insecure-storage"},
	} {
		var out, errOut bytes.Buffer
		f := cmdutil.New(ui.Test(strings.NewReader("123456\n"), &out, &errOut), getenv)
		cmd := NewCmdLogin(f, nil)
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("login %v: %v", args, err)
		}
		for _, b := range []string{out.String(), errOut.String()} {
			if strings.ContainsAny(b, "\x1b\x07\u202e") {
				t.Errorf("login %v wrote control characters from the server: %q", args, b)
			}
		}
	}
}
