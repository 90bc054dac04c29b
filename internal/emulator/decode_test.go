package emulator

import (
	"net/http"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/wire"
)

// A body's keys must each be exactly one of the fields, once: encoding/json
// alone lets a later duplicate or a case variant ("PERMISSIONS") win, so
// what a reviewer or a proxy reads in a body is not what the server applies.
func TestDuplicateAndCaseVariantKeysAreRefused(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	cases := []struct {
		path, auth, body, field string
	}{
		{"/v1/api-keys", sess, `{"name":"dup","permissions":["loyalty:read"],"PERMISSIONS":["admin:read"]}`, "PERMISSIONS"},
		{"/v1/api-keys", sess, `{"name":"dup","permissions":["loyalty:read"],"permissions":["admin:read"]}`, "permissions"},
		{"/v1/api-keys", sess, `{"Name":"dup","permissions":["loyalty:read"]}`, "Name"},
		{"/v1/api-keys", sess, `{"name":"dup","permissions":["loyalty:read"],"permission\u0073":["admin:read"]}`, "permissions"},
		{"/v1/api-keys", sess, `{"name":"dup","permissions":["loyalty:read"],"rate_limit":{"a":1,"a":2},"rate_limit":5}`, "rate_limit"},
		{"/v1/auth/otp", "", `{"destination":"dev@example.com","Destination":"stranger@example.org"}`, "Destination"},
		{"/_emulator/clock", "", `{"advance_seconds":1,"advance_seconds":2}`, "advance_seconds"},
	}
	for _, c := range cases {
		e := expect(t, h.request("POST", c.path, c.auth, c.body), http.StatusBadRequest, wire.CodeValidation)
		if e.Details["field"] != c.field {
			t.Errorf("%s: field %v, want %s (%s)", c.body, e.Details["field"], c.field, e.Message)
		}
	}
	var list wire.KeyList
	h.request("GET", "/v1/api-keys?status=all", sess, nil).decode(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("refused bodies created %d keys", len(list.Data))
	}
	// Nested values, escapes and empty bodies still decode.
	expect(t, h.request("POST", "/v1/api-keys", sess, `{"name":"ok \"quoted\" {\"x\":1}","permissions":["loyalty:read",`+
		`"customer:read"],"ip_restrictions":[]}`), http.StatusCreated)
	expect(t, h.request("POST", "/v1/api-keys", sess, `{"name":"x"} {}`), http.StatusBadRequest, wire.CodeValidation)
	e := expect(t, h.request("POST", "/v1/api-keys", sess, ``), http.StatusBadRequest, wire.CodeValidation)
	if e.Details["field"] != "name" {
		t.Fatalf("empty body: %v", e)
	}
	e = expect(t, h.request("POST", "/v1/api-keys", sess, `{"name":"`+strings.Repeat("x", maxBodyBytes)+`"}`), http.StatusBadRequest, wire.CodeValidation)
	if e.Details["field"] != "body" || e.Message != "body: is larger than 1 MiB" {
		t.Fatalf("large body: %v", e)
	}
}
