package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactReplacesSecretJSONMembers(t *testing.T) {
	in := `{"api_key":"` + testKey + `","session_token":"` + testSession + `","code":"` + testCode + `",
		"nested":{"code":123456,"token":"t0k3n-value"},"list":[{"api_key":"abcdabcd"}]}`
	got := string(Redact([]byte(in)))
	want := `{"api_key":"[REDACTED]","session_token":"[REDACTED]","code":"[REDACTED]","nested":{"code":"[REDACTED]","token":"[REDACTED]"},"list":[{"api_key":"[REDACTED]"}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRedactKeepsErrorCodesAndOtherFieldsInOrder(t *testing.T) {
	in := `{"success":false,"error":{"code":"VALIDATION_ERROR","message":"bad","details":{"email":["Invalid <email> & format"]}},"n":1.50,"ok":true,"none":null,"empty":[],"obj":{}}`
	got := string(Redact([]byte(in)))
	if got != in {
		t.Fatalf("changed a document without secrets:\n got  %s\n want %s", got, in)
	}
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
}

func TestRedactHidesMistypedOTPCodes(t *testing.T) {
	for _, code := range []string{"12345", "1234567", "12a456", "abc 12"} {
		got := string(Redact([]byte(`{"verification_id":"v","code":"` + code + `"}`)))
		if strings.Contains(got, code) {
			t.Errorf("code %q shown: %s", code, got)
		}
	}
}

func TestRedactCredentialPatternsAnywhere(t *testing.T) {
	cases := map[string]string{
		"plain text":   "key " + testKey + " and " + testSession + ".",
		"json message": `{"message":"bad key ` + testKey2 + `"}`,
		"json key":     `{"` + testKey + `":1}`,
		"html":         "<p>" + testSession + "</p>",
		"not json":     `{"api_key": "` + testKey + `",`,
	}
	for name, in := range cases {
		got := string(Redact([]byte(in)))
		for _, s := range []string{testKey, testKey2, testSession} {
			if strings.Contains(got, s) {
				t.Errorf("%s: %q still in %s", name, s, got)
			}
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("%s: nothing redacted: %s", name, got)
		}
	}
}

func TestRedactLeavesSixDigitNumbersOutsideCodeFields(t *testing.T) {
	in := `{"usage_count":123456,"limit":100,"text":"order 654321"}`
	if got := string(Redact([]byte(in))); got != in {
		t.Fatalf("got %s", got)
	}
}

func TestRedactorScrubsLearnedSecretsEverywhere(t *testing.T) {
	var r Redactor
	_ = r.Body([]byte(`{"code":"` + testCode + `"}`))
	got := string(r.Body([]byte(`{"messages":[{"text":"Your Zupy code is ` + testCode + `"}]}`)))
	if strings.Contains(got, testCode) {
		t.Fatalf("learned code shown: %s", got)
	}
	r.Add("opaque-token-value")
	if got := r.String("x opaque-token-value y"); got != "x [REDACTED] y" {
		t.Fatalf("String = %q", got)
	}
	r.Add("ab") // too short to be a secret: must not blank out text
	if got := r.String("abc"); got != "abc" {
		t.Fatalf("short value redacted: %q", got)
	}
}

func TestRedactHeaderValues(t *testing.T) {
	var r Redactor
	cases := []struct{ name, value, want string }{
		{"Authorization", "Bearer " + testKey, "Bearer [REDACTED]"},
		{"authorization", "Bearer " + testSession, "Bearer [REDACTED]"},
		{"Authorization", testKey, "[REDACTED]"},
		{"Cookie", "s=1", "[REDACTED]"},
		{"X-Api-Key", "anything", "[REDACTED]"},
		{"X-Echo", "got " + testKey, "got [REDACTED]"},
		{"User-Agent", "zupy/1.0", "zupy/1.0"},
	}
	for _, tc := range cases {
		if got := r.Header(tc.name, tc.value); got != tc.want {
			t.Errorf("Header(%s, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}
