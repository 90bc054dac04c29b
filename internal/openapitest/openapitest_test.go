package openapitest

import "testing"

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
