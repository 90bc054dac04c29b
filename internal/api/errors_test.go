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
	if e.Kind() != KindVerification {
		t.Fatalf("kind = %d, want KindVerification", e.Kind())
	}
}

func TestErrorFallsBackToStatusForOtherBodies(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		code    string
		message string
		kind    Kind
	}{
		{"html 502", 502, "<html><body>Bad Gateway</body></html>", "internal_error", "Bad Gateway", KindServer},
		{"empty 401", 401, "", "authentication_failed", "Unauthorized", KindAuth},
		{"invalid json 403", 403, `{"error":`, "permission_denied", "Forbidden", KindPermission},
		{"json without error 404", 404, `{"detail":"nope"}`, "not_found", "Not Found", KindNotFound},
		{"plain 429", 429, "slow down", "rate_limit_exceeded", "Too Many Requests", KindRateLimited},
		{"500 empty", 500, "", "internal_error", "Internal Server Error", KindServer},
		{"405", 405, "", "method_not_allowed", "Method Not Allowed", KindOther},
		{"error code not an identifier", 409, `{"error":"<b>boom</b>"}`, "conflict", "Conflict", KindConflict},
		{"error neither string nor object", 400, `{"error":true,"message":"x"}`, "validation_error", "Bad Request", KindInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := errorFor(t, tc.status, tc.body)
			if e.Code != tc.code || e.Message != tc.message || e.Kind() != tc.kind {
				t.Fatalf("got %q / %q / kind %d, want %q / %q / kind %d", e.Code, e.Message, e.Kind(), tc.code, tc.message, tc.kind)
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

func TestKindMapping(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   Kind
	}{
		{401, CodeAuthentication, KindAuth},
		{401, CodeVerification, KindVerification},
		{400, CodeVerification, KindVerification},
		{429, CodeVerification, KindVerification},
		{403, CodePermission, KindPermission},
		{429, CodeRateLimit, KindRateLimited},
		{404, CodeNotFound, KindNotFound},
		{400, CodeValidation, KindInvalid},
		{422, CodeValidation, KindInvalid},
		{400, "invalid_parameters", KindInvalid},
		{409, CodeConflict, KindConflict},
		{500, CodeInternal, KindServer},
		{503, "service_unavailable", KindServer},
		{418, "teapot", KindOther},
	}
	for _, tc := range cases {
		e := &Error{Status: tc.status, Code: tc.code}
		if got := e.Kind(); got != tc.want {
			t.Errorf("Kind(%d %s) = %d, want %d", tc.status, tc.code, got, tc.want)
		}
	}
}

func TestServerCodeIsDetailsErrorCode(t *testing.T) {
	e := &Error{Details: map[string]any{"error_code": "IP_NOT_ALLOWED"}}
	if e.ServerCode() != "IP_NOT_ALLOWED" || (&Error{}).ServerCode() != "" {
		t.Fatalf("ServerCode = %q", e.ServerCode())
	}
}

func TestSafeURLDropsQueryAndUserInfo(t *testing.T) {
	got := safeURL("http://user:pw@127.0.0.1:1/v1/auth/verify?permission=a&token=" + testKey)
	if got != "http://127.0.0.1:1/v1/auth/verify" {
		t.Fatalf("safeURL = %q", got)
	}
}
