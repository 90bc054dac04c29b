package scan

import (
	"encoding/json"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// TestWriteJSON: one array of records, the secret masked as key_hint,
// with each verdict's fields, and without --verify none of them.
func TestWriteJSON(t *testing.T) {
	r, secret := reportFixture(t)
	var got []map[string]any
	if err := json.Unmarshal([]byte(render(t, "json", r, false)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d records", len(got))
	}
	first, second := got[0], got[1]
	if first["path"] != "a b.txt" || first["line"] != 3.0 || first["column"] != 7.0 || first["kind"] != "live_key" ||
		first["key_hint"] != apikey.Mask(secret) || first["commit"] != "0123456789abcdef0123" || first["status"] != "live" ||
		first["key_id"] != "key_aaaaaaaaaaaa" || first["environment"] != "production" || len(first["permissions"].([]any)) != 2 {
		t.Errorf("first record %v", first)
	}
	if _, ok := first["note"]; ok {
		t.Errorf("a note without one: %v", first)
	}
	if second["status"] != "live" || second["note"] != "rate limited; scopes not read" {
		t.Errorf("second record %v", second)
	}

	r.verify = false
	for i := range r.results {
		r.results[i].verdict = nil
	}
	var bare []map[string]any
	if err := json.Unmarshal([]byte(render(t, "json", r, false)), &bare); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"status", "key_id", "environment", "permissions", "revoked", "note"} {
		if _, ok := bare[0][field]; ok {
			t.Errorf("without --verify, %s in %v", field, bare[0])
		}
	}
	r.results = nil
	if out := render(t, "json", r, false); out != "[]\n" {
		t.Errorf("nothing found: %q, want an empty array", out)
	}
}
