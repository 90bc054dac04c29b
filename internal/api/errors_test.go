package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func errorFor(t *testing.T, status int, body string, headers ...string) *Error {
	t.Helper()
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, status, body, headers...) },
		func(o *Options) { o.Retries = 0 })
	_, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil)
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	return apiErr
}

func TestErrorDecodesFlatShape(t *testing.T) {
	e := errorFor(t, 403, `{"error":"permission_denied","message":"Insufficient permissions for this operation",
		"details":{"required_permission":"customer:write","current_permissions":["customer:read"],"error_code":"INSUFFICIENT_PERMISSIONS"}}`)
	if e.Status != 403 || e.Code != "permission_denied" || e.Message != "Insufficient permissions for this operation" {
		t.Fatalf("got %+v", e)
	}
	if e.Details["required_permission"] != "customer:write" || e.Details["error_code"] != "INSUFFICIENT_PERMISSIONS" {
		t.Fatalf("details = %v", e.Details)
	}
	if e.Response == nil || e.Response.Status != 403 {
		t.Fatalf("Response not attached: %+v", e.Response)
	}
}

func TestErrorDecodesNestedShapeAndLowercasesCode(t *testing.T) {
	e := errorFor(t, 400, `{"success":false,"error":{"code":"VALIDATION_ERROR","message":"Invalid customer data provided",
		"details":{"email":["Invalid email format"]}},"timestamp":"2024-01-15T10:30:00Z"}`)
	if e.Code != "validation_error" || e.Message != "Invalid customer data provided" {
		t.Fatalf("got %q / %q", e.Code, e.Message)
	}
	if _, ok := e.Details["email"]; !ok {
		t.Fatalf("details = %v", e.Details)
	}
}

func TestErrorDecodesFlatSuccessFalseShape(t *testing.T) {
	e := errorFor(t, 401, `{"success":false,"message":"OTP code has expired","error":"verification_failed"}`)
	if e.Code != "verification_failed" || e.Message != "OTP code has expired" {
		t.Fatalf("got %q / %q", e.Code, e.Message)
	}
	if e.ExitCode() != 6 {
		t.Fatalf("exit = %d, want 6", e.ExitCode())
	}
}

func TestErrorFallsBackToStatusForOtherBodies(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		code     string
		message  string
		exitCode int
	}{
		{"html 502", 502, "<html><body>Bad Gateway</body></html>", "internal_error", "Bad Gateway", 1},
		{"empty 401", 401, "", "authentication_failed", "Unauthorized", 3},
		{"invalid json 403", 403, `{"error":`, "permission_denied", "Forbidden", 4},
		{"json without error 404", 404, `{"detail":"nope"}`, "not_found", "Not Found", 7},
		{"plain 429", 429, "slow down", "rate_limit_exceeded", "Too Many Requests", 5},
		{"500 empty", 500, "", "internal_error", "Internal Server Error", 1},
		{"405", 405, "", "method_not_allowed", "Method Not Allowed", 1},
		{"error code not an identifier", 409, `{"error":"<b>boom</b>"}`, "conflict", "Conflict", 1},
		{"error neither string nor object", 400, `{"error":true,"message":"x"}`, "validation_error", "Bad Request", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := errorFor(t, tc.status, tc.body)
			if e.Code != tc.code || e.Message != tc.message || e.ExitCode() != tc.exitCode {
				t.Fatalf("got %q / %q / exit %d, want %q / %q / exit %d", e.Code, e.Message, e.ExitCode(), tc.code, tc.message, tc.exitCode)
			}
		})
	}
}

func TestErrorMessageKeepsMessageWhenCodeMissing(t *testing.T) {
	e := errorFor(t, 401, `{"error":"","message":"Session has expired"}`)
	if e.Code != "authentication_failed" || e.Message != "Session has expired" {
		t.Fatalf("got %q / %q", e.Code, e.Message)
	}
}

func TestErrorMessageNeverEchoesSecretsOrRawBody(t *testing.T) {
	e := errorFor(t, 401, `{"error":"authentication_failed","message":"bad key `+testKey+`\nline two\u0007","details":{"key":"`+testKey+`"}}`)
	if strings.Contains(e.Error(), testKey) || strings.Contains(e.Details["key"].(string), testKey) {
		t.Fatalf("secret echoed: %q %v", e.Error(), e.Details)
	}
	if strings.ContainsAny(e.Message, "\n\x07") {
		t.Fatalf("control characters kept: %q", e.Message)
	}
	html := errorFor(t, 500, "<html>"+testSession+"</html>")
	if strings.Contains(html.Error(), testSession) || strings.Contains(html.Error(), "html") {
		t.Fatalf("raw body in message: %q", html.Error())
	}
	long := errorFor(t, 400, `{"error":"validation_error","message":"`+strings.Repeat("x", 5000)+`"}`)
	if len(long.Message) > maxMessage+10 {
		t.Fatalf("message not capped: %d bytes", len(long.Message))
	}
}

func TestErrorStringIsCodeDashMessage(t *testing.T) {
	e := errorFor(t, 401, `{"error":"authentication_failed","message":"API key has expired"}`)
	if got := e.Error(); got != "authentication_failed - API key has expired" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestExitCodeMapping(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   int
	}{
		{401, CodeAuthentication, 3},
		{401, CodeVerification, 6},
		{400, CodeVerification, 6},
		{429, CodeVerification, 6},
		{403, CodePermission, 4},
		{429, CodeRateLimit, 5},
		{404, CodeNotFound, 7},
		{400, CodeValidation, 2},
		{422, CodeValidation, 2},
		{400, "invalid_parameters", 2},
		{409, CodeConflict, 1},
		{500, CodeInternal, 1},
		{503, "service_unavailable", 1},
		{418, "teapot", 1},
	}
	for _, tc := range cases {
		e := &Error{Status: tc.status, Code: tc.code}
		if got := e.ExitCode(); got != tc.want {
			t.Errorf("ExitCode(%d %s) = %d, want %d", tc.status, tc.code, got, tc.want)
		}
	}
}

func TestNetworkErrorExitCodeIs130WhenCancelled(t *testing.T) {
	if got := (&NetworkError{Op: "GET", URL: "u", Err: context.Canceled}).ExitCode(); got != 130 {
		t.Fatalf("cancelled: %d", got)
	}
	if got := (&NetworkError{Op: "GET", URL: "u", Err: errors.New("refused")}).ExitCode(); got != 1 {
		t.Fatalf("refused: %d", got)
	}
}

func TestSafeURLDropsQueryAndUserInfo(t *testing.T) {
	got := safeURL("http://user:pw@127.0.0.1:1/v1/auth/verify?permission=a&token=" + testKey)
	if got != "http://127.0.0.1:1/v1/auth/verify" {
		t.Fatalf("safeURL = %q", got)
	}
}
