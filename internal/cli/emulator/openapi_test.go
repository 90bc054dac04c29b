package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/zupy/zupy-cli/docs"
)

// `zupy emulator start` serves the contract it keeps: docs/openapi.yaml
// byte for byte at /_emulator/openapi.yaml, and the same document as JSON,
// keys in the document's order, at /_emulator/openapi.json (docs/api.md
// "Emulator-only routes").
func TestStartServesTheOpenAPIDocument(t *testing.T) {
	base, stop := startEmulator(t)
	origin := strings.TrimSuffix(base, "/v1")
	get := func(path, wantType string) []byte {
		t.Helper()
		res, err := http.Get(origin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), wantType) {
			t.Fatalf("GET %s: %d %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), wantType)
		}
		return body
	}
	if y := get("/_emulator/openapi.yaml", "application/yaml"); !bytes.Equal(y, docs.OpenAPIYAML) {
		t.Fatalf("/_emulator/openapi.yaml is not docs/openapi.yaml (%d bytes, want %d)", len(y), len(docs.OpenAPIYAML))
	}
	j := get("/_emulator/openapi.json", "application/json")
	var fromJSON, fromYAML any
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatalf("/_emulator/openapi.json: %v", err)
	}
	if err := yaml.Unmarshal(docs.OpenAPIYAML, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Through JSON both sides have the same types (float64 numbers).
	b, _ := json.Marshal(fromYAML)
	if err := json.Unmarshal(b, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Fatal("/_emulator/openapi.json is not docs/openapi.yaml's content")
	}
	// In the YAML's order: "openapi" first, "components" after "paths".
	if !bytes.HasPrefix(bytes.TrimSpace(j), []byte(`{`+"\n"+`  "openapi": "3.1.0"`)) ||
		bytes.Index(j, []byte(`"paths"`)) > bytes.Index(j, []byte(`"components"`)) {
		t.Fatalf("/_emulator/openapi.json lost the document's order: %.80s", j)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
