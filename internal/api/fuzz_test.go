package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzKey is a key-shaped string built at run time (no secret is checked in).
var fuzzKey = "zup_" + "live_sk_" + strings.Repeat("Ab1", 8)

// FuzzDecodeError feeds any status and body to the error decoder: whatever
// the server sends (one of the three error shapes, HTML, nothing, half a
// document), the error has a lower-case identifier code, a non-empty
// one-line printable message of bounded length, a kind, and no credential
// in its message or details.
func FuzzDecodeError(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{400, `{"error":"validation_error","message":"name: is required","details":{"field":"name"}}`},
		{401, `{"success":false,"error":{"code":"AUTHENTICATION_FAILED","message":"API key has expired","details":{"error_code":"API_KEY_EXPIRED"}}}`},
		{429, `{"success":false,"error":"rate_limit_exceeded","message":"Too many requests"}`},
		{403, `{"error":"permission_denied","message":"Insufficient permissions","details":{"required_permission":"keys:rotate","current_permissions":["loyalty:read"]}}`},
		{502, "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{500, ""},
		{503, `{"error":"internal_error","mess`},
		{404, `{"error":{"code":123}}`},
		{400, `{"error":"bad code!","message":"line one\nline two\u0007"}`},
		{401, `{"error":"authentication_failed","message":"key ` + fuzzKey + ` is bad"}`},
		{401, `{"error":"authentication_failed","message":"key zup\u005flive_sk_` + strings.Repeat("Ab1", 8) + ` is bad"}`},
		{409, `{"error":"conflict","details":{"token":"zup_sess_` + strings.Repeat("x", 40) + `"}}`},
		{418, `[]`},
		{599, `null`},
		{200, `{"error":""}`},
		{400, `{"error":"validation_error","message":"` + strings.Repeat("é", 400) + `"}`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 100 + (status%900+900)%900
		}
		e := decodeError(&Response{Status: status, Header: http.Header{}, Body: body})
		if e.Status != status {
			t.Fatalf("status %d, want %d", e.Status, status)
		}
		if e.Code == "" || len(e.Code) > 64 || e.Code != strings.ToLower(e.Code) {
			t.Fatalf("code %q: want a lower-case identifier", e.Code)
		}
		for _, r := range e.Code {
			if !(r == '_' || r == '-' || r == '.' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
				t.Fatalf("code %q holds %q", e.Code, r)
			}
		}
		if e.Message == "" || strings.TrimSpace(e.Message) != e.Message {
			t.Fatalf("message %q: want non-empty and trimmed", e.Message)
		}
		if n := utf8.RuneCountInString(e.Message); n > maxMessage+1 {
			t.Fatalf("message of %d runes, want ≤ %d", n, maxMessage+1)
		}
		for _, r := range e.Message {
			if unicode.IsControl(r) || r == utf8.RuneError {
				t.Fatalf("message %q holds %U", e.Message, r)
			}
		}
		details, err := json.Marshal(e.Details)
		if err != nil {
			t.Fatalf("details do not encode: %v", err)
		}
		for where, s := range map[string]string{"message": e.Message, "details": string(details), "error": e.Error()} {
			if loc := secretPattern().FindStringIndex(s); loc != nil {
				t.Fatalf("%s carries a credential: %q", where, s)
			}
		}
		_ = e.Kind()
		_ = e.ServerCode()
		if k := e.Kind(); status >= 500 && k != KindServer && k != KindVerification && e.Code != CodeValidation {
			t.Fatalf("status %d gave kind %v", status, k)
		}
	})
}

// FuzzRedact: whatever a body holds, its --debug form carries no credential
// pattern, and a JSON body stays JSON.
func FuzzRedact(f *testing.F) {
	for _, seed := range []string{
		`{"api_key":"` + fuzzKey + `","name":"x"}`,
		`{"session_token":"zup_sess_` + strings.Repeat("q", 40) + `"}`,
		`{"code":"123456","channel":"email"}`,
		`{"code":123456}`,
		`{"error":{"code":"VALIDATION_ERROR"}}`,
		`[{"token":"abcd"},"abcd"]`,
		`{"a":"zup\u005ftest_sk_` + strings.Repeat("Z", 20) + `"}`,
		`not json ` + fuzzKey,
		`{"x":`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := Redact(body)
		if secretPattern().Match(out) {
			t.Fatalf("Redact(%q) = %q: a credential is left", body, out)
		}
		if json.Valid(body) && len(bytes.TrimSpace(body)) > 0 && !json.Valid(out) {
			t.Fatalf("Redact(%q) = %q: JSON in, not JSON out", body, out)
		}
		var v any
		if json.Unmarshal(out, &v) == nil {
			if s := fmt.Sprint(v); secretPattern().MatchString(s) {
				t.Fatalf("Redact(%q) = %q decodes to a credential: %s", body, out, s)
			}
		}
	})
}
