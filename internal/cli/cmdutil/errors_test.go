package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

func apiErr(status int, code string) *api.Error {
	return &api.Error{Status: status, Code: code, Message: "server says no"}
}

func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain error", errors.New("boom"), 1},
		{"usage", Usagef("bad --x"), 2},
		{"coded", &CodedError{Kind: api.KindPermission, Code: "permission_denied", Msg: "missing scope"}, 4},
		{"not logged in", NotLoggedIn("default"), 3},
		{"silent", &SilentError{Kind: api.KindRateLimited}, 5},
		{"silent zero-free code", &SilentError{Kind: api.KindNotFound}, 7},
		{"silent usage", &SilentError{Kind: api.KindUsage}, 2},
		{"silent, a code the user chose", &SilentError{Code: 42}, 42},
		{"api 401", apiErr(401, api.CodeAuthentication), 3},
		{"api 401 verification failed", apiErr(401, api.CodeVerification), 6},
		{"api 400 verification failed", apiErr(400, api.CodeVerification), 6},
		{"api 403", apiErr(403, api.CodePermission), 4},
		{"api 404", apiErr(404, api.CodeNotFound), 7},
		{"api 409", apiErr(409, api.CodeConflict), 1},
		{"api 429", apiErr(429, api.CodeRateLimit), 5},
		{"api 500", apiErr(500, api.CodeInternal), 1},
		// A server's 400 is found after the request was sent: an error (1),
		// as gh api exits, not a usage error (2, found before sending).
		{"api 400", apiErr(400, api.CodeValidation), 1},
		{"api 429 verification failed", apiErr(429, api.CodeVerification), 6},
		{"api 422 validation", apiErr(422, api.CodeValidation), 1},
		{"api 400 other code", apiErr(400, "invalid_parameters"), 1},
		{"api 503", apiErr(503, "service_unavailable"), 1},
		{"api 418", apiErr(418, "teapot"), 1},
		{"canceled", context.Canceled, 130},
		{"canceled wrapped", fmt.Errorf("list keys: %w", context.Canceled), 130},
		{"canceled inside a network error", &api.NetworkError{Op: "GET", URL: "http://x/v1", Err: context.Canceled}, 130},
		{"network error", &api.NetworkError{Op: "GET", URL: "http://x/v1", Err: errors.New("connection refused")}, 1},
		{"wrapped usage", fmt.Errorf("keys create: %w", Usagef("bad")), 2},
		// config's own usage error needs no conversion at each call site.
		{"config usage", &config.UsageError{Msg: "unknown config key"}, 2},
		{"config usage, hinted and wrapped", WithHint(fmt.Errorf("settings: %w", &config.UsageError{Msg: "bad"}), "fix it"), 2},
		{"wrapped api 403", fmt.Errorf("rotate key_x: %w", apiErr(403, api.CodePermission)), 4},
		{"wrapped api 404 twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", apiErr(404, api.CodeNotFound))), 7},
		{"hint keeps api code", WithHint(apiErr(429, api.CodeRateLimit), "wait"), 5},
		{"hint keeps coded code", WithHint(&CodedError{Kind: api.KindVerification, Msg: "x"}, "h"), 6},
		{"hint keeps usage code", WithHint(Usagef("x"), "h"), 2},
		{"keyring unavailable", &credentials.UnavailableError{Op: "get", Account: "default/session", Err: errors.New("dbus")}, 1},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
}

func TestWithHintOfNilIsNil(t *testing.T) {
	if WithHint(nil, "x") != nil {
		t.Error("WithHint(nil) is not nil")
	}
}

func TestNotLoggedInHintNamesNonDefaultProfile(t *testing.T) {
	for profile, want := range map[string]string{
		"":        "Run `zupy login`",
		"default": "Run `zupy login`",
		"work":    "Run `zupy login --profile work`",
	} {
		_, msg, _, hint := Describe(NotLoggedIn(profile))
		if hint != want || msg != "not logged in" {
			t.Errorf("NotLoggedIn(%q): msg %q hint %q, want hint %q", profile, msg, hint, want)
		}
	}
}

func plain() *ui.ColorScheme { return ui.NewColorScheme(&bytes.Buffer{}, false, "", "") }

func TestPrintErrorText(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"api error with no default hint",
			&api.Error{Status: 401, Code: api.CodeAuthentication, Message: "API key has expired"},
			"Error: authentication_failed - API key has expired\n"},
		{"rate limit default hint",
			apiErr(429, api.CodeRateLimit),
			"Error: rate_limit_exceeded - server says no\nWait for the limit to reset, or allow more retries with --retries\n"},
		{"internal default hint",
			apiErr(500, api.CodeInternal),
			"Error: internal_error - server says no\nThe server failed; try again later\n"},
		{"usage with hint",
			WithHint(&UsageError{Err: errors.New("missing KEY")}, "Usage: zupy config get KEY"),
			"Error: usage_error - missing KEY\nUsage: zupy config get KEY\n"},
		{"coded",
			NotLoggedIn("work"),
			"Error: authentication_failed - not logged in\nRun `zupy login --profile work`\n"},
		{"plain",
			errors.New("disk full"),
			"Error: error - disk full\n"},
		{"network",
			&api.NetworkError{Op: "GET", URL: "http://127.0.0.1:1/v1/auth/session", Err: errors.New("connection refused")},
			"Error: network_error - GET http://127.0.0.1:1/v1/auth/session: connection refused\nCheck the base URL with `zupy config get base_url`, or start a local emulator with `zupy emulator start`\n"},
		{"WithHint beats the type's default",
			WithHint(apiErr(429, api.CodeRateLimit), "Raise --retries"),
			"Error: rate_limit_exceeded - server says no\nRaise --retries\n"},
		{"the outer hint beats an inner one",
			WithHint(WithHint(&UsageError{Err: errors.New("bad")}, "old"), "new"),
			"Error: usage_error - bad\nnew\n"},
		{"wrapped api error keeps its code and message",
			fmt.Errorf("revoke key_x: %w", apiErr(404, api.CodeNotFound)),
			"Error: not_found - server says no\n"},
	} {
		var b bytes.Buffer
		PrintError(&b, plain(), c.err, false, "")
		if b.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, b.String(), c.want)
		}
	}
}

func TestPrintErrorInterruptedHidesContextJargon(t *testing.T) {
	var b bytes.Buffer
	PrintError(&b, plain(), fmt.Errorf("wait: %w", context.Canceled), false, "")
	got := b.String()
	if !strings.HasPrefix(got, "Error: interrupted - ") || strings.Contains(got, "context canceled") || strings.Count(got, "\n") != 1 {
		t.Errorf("got %q, want one line \"Error: interrupted - …\" without Go's wording", got)
	}
}

func TestPrintErrorShowsUnavailableKeyringHint(t *testing.T) {
	ue := &credentials.UnavailableError{Op: "get", Account: "default/session", Err: errors.New("dbus: no such service"), FilePath: "/cfg/credentials.yaml"}
	var b bytes.Buffer
	PrintError(&b, plain(), fmt.Errorf("read session: %w", ue), false, "")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want an error line and a hint line, got %q", b.String())
	}
	if lines[1] != ue.Hint() || !strings.Contains(lines[1], "/cfg/credentials.yaml") || !strings.Contains(lines[1], "ZUPY_SESSION_TOKEN") {
		t.Errorf("hint line %q, want the keyring's own hint %q", lines[1], ue.Hint())
	}
	if !strings.HasPrefix(lines[0], "Error: keyring_unavailable - ") {
		t.Errorf("error line %q", lines[0])
	}
}

func TestPrintErrorTextIsStyledOnlyWhenColourIsOn(t *testing.T) {
	var b bytes.Buffer
	PrintError(&b, ui.NewColorScheme(&b, true, "", "xterm"), NotLoggedIn("default"), false, "")
	if !strings.Contains(b.String(), "\x1b[") {
		t.Errorf("coloured scheme printed no ANSI: %q", b.String())
	}
	b.Reset()
	PrintError(&b, plain(), NotLoggedIn("default"), false, "")
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("plain scheme printed ANSI: %q", b.String())
	}
}

func TestPrintErrorJSON(t *testing.T) {
	for _, c := range []struct {
		name        string
		err         error
		wantError   string
		wantMessage string
		wantDetails map[string]any
		wantHint    string
		wantExit    int
	}{
		{"api error with details",
			&api.Error{Status: 400, Code: api.CodeValidation, Message: "invalid scopes", Details: map[string]any{"field": "scopes"}},
			"validation_error", "invalid scopes", map[string]any{"field": "scopes"}, "", 1},
		{"usage error",
			WithHint(&UsageError{Err: errors.New("missing KEY")}, "Usage: x"),
			"usage_error", "missing KEY", map[string]any{}, "Usage: x", 2},
		{"not logged in",
			NotLoggedIn("default"),
			"authentication_failed", "not logged in", map[string]any{}, "Run `zupy login`", 3},
		{"api error without details",
			apiErr(404, api.CodeNotFound),
			"not_found", "server says no", map[string]any{}, "", 7},
	} {
		var b bytes.Buffer
		PrintError(&b, plain(), c.err, true, "")
		raw := b.String()
		if strings.Contains(raw, `"details": null`) {
			t.Errorf("%s: details is null: %s", c.name, raw)
		}
		var doc map[string]any
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: not one JSON document: %v\n%s", c.name, err, raw)
		}
		if doc["error"] != c.wantError || doc["message"] != c.wantMessage || doc["exit_code"] != float64(c.wantExit) {
			t.Errorf("%s: %s", c.name, raw)
		}
		details, ok := doc["details"].(map[string]any)
		if !ok || fmt.Sprint(details) != fmt.Sprint(c.wantDetails) {
			t.Errorf("%s: details %#v, want %#v", c.name, doc["details"], c.wantDetails)
		}
		hint, has := doc["hint"]
		if c.wantHint == "" && has {
			t.Errorf("%s: empty hint was not omitted: %s", c.name, raw)
		}
		if c.wantHint != "" && hint != c.wantHint {
			t.Errorf("%s: hint %v, want %q", c.name, hint, c.wantHint)
		}
	}
}

func TestDescribeNetworkTimeoutSuggestsTimeoutFlag(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := api.New(api.Options{BaseURL: srv.URL + "/v1", Timeout: 50 * time.Millisecond, Retries: 0})
	_, _, err := c.Session(context.Background(), "zup_sess_x")
	var ne *api.NetworkError
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timed-out *api.NetworkError", err)
	}
	code, _, _, hint := Describe(err)
	if code != "network_error" || !strings.Contains(hint, "--timeout") {
		t.Errorf("Describe = %q, hint %q; want network_error and a --timeout hint", code, hint)
	}
	if ExitCode(err) != 1 {
		t.Errorf("ExitCode = %d, want 1", ExitCode(err))
	}
}

func TestDescribeConfigUsageErrorIsUsage(t *testing.T) {
	code, msg, _, _ := Describe(&config.UsageError{Msg: "unknown config key \"x\""})
	if code != "usage_error" || msg != `unknown config key "x"` {
		t.Errorf("Describe = %q, %q; want usage_error and the message", code, msg)
	}
}

func TestZupyCommandCarriesTheProfileInUse(t *testing.T) {
	for profile, want := range map[string]string{
		"":        "zupy auth status",
		"default": "zupy auth status",
		"fresh":   "zupy auth status --profile fresh",
	} {
		if got := ZupyCommand(profile, "auth status"); got != want {
			t.Errorf("ZupyCommand(%q) = %q, want %q", profile, got, want)
		}
	}
}

func TestForProfileNamesTheProfileInEveryQuotedCommand(t *testing.T) {
	hint := "Set ZUPY_SESSION_TOKEN, or run `zupy config set credential_store file` then `zupy login`; see `zupy help environment`, `zupy emulator exec -- go test`"
	want := "Set ZUPY_SESSION_TOKEN, or run `zupy config set credential_store file --profile fresh` then `zupy login --profile fresh`; see `zupy help environment`, `zupy emulator exec -- go test`"
	if got := ForProfile(hint, "fresh"); got != want {
		t.Errorf("ForProfile:\n got %s\nwant %s", got, want)
	}
	if got := ForProfile(hint, "default"); got != hint {
		t.Errorf("ForProfile(default) changed the hint: %s", got)
	}
	if got := ForProfile("Run `zupy login --profile work`", "work"); got != "Run `zupy login --profile work`" {
		t.Errorf("a command that names its profile got another: %s", got)
	}
}
