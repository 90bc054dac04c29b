package openapitest

import (
	"strings"
	"testing"
)

// TestDocumentLoads: docs/openapi.yaml parses as OpenAPI 3.1 and the
// validator compiles every schema in it.
func TestDocumentLoads(t *testing.T) {
	if err := Load(); err != nil {
		t.Fatal(err)
	}
	c, _ := load()
	if v := c.model.Version; v != "3.1.0" {
		t.Fatalf("openapi: %q, want 3.1.0", v)
	}
	if ok, errs := c.validator.ValidateDocument(); !ok {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI document:\n%v", describe("document", errs))
	}
}

// TestRedact: a violation's report never carries a key, a session token or
// an OTP code, wherever the answer put them.
func TestRedact(t *testing.T) {
	in := `{"api_key":"zup_live_sk_D4Ao5czov8WKimtNg7Fj","session_token":"zup_sess_abc-DEF_123","messages":[{"code": "123456"}],"x":"zup_test_sk_IV4WSteNfUn9GRBCa4QA"}` // zupy:allow: made-up secrets
	got := redact(in)
	for _, secret := range []string{"D4Ao5czov8WKimtNg7Fj", "abc-DEF_123", "123456", "IV4WSteNfUn9GRBCa4QA"} {
		if strings.Contains(got, secret) {
			t.Errorf("redact left %q in %s", secret, got)
		}
	}
	if !strings.Contains(got, `"zup_live_sk_[redacted]"`) || !strings.Contains(got, `"code": "[redacted]"`) {
		t.Errorf("redact(%s) = %s", in, got)
	}
}
