package emulator

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/wire"
)

func TestInMemoryServerWorksAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	srv, err := Open(context.Background(), Config{InMemory: true, DataDir: dir, PartnerEmail: "me@example.net", PartnerName: "Mine"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	h := &harness{t: t, srv: srv, ts: ts, dir: dir, logs: &syncBuffer{}, msgs: &syncBuffer{}}
	c := h.requestOTP("email", "me@example.net")
	r := h.verifyOTP(c.VerificationID, h.lastCode("me@example.net"))
	expect(t, r, 200)
	var l wire.Login
	r.decode(t, &l)
	if l.Partner.Name != "Mine" {
		t.Fatalf("partner %+v", l.Partner)
	}
	h.createKey(l.SessionToken, nil)
	if entries, _ := filepathGlob(dir); len(entries) != 0 {
		t.Fatalf("in-memory mode wrote %v", entries)
	}
}

func TestInternalErrorsLeakNothing(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	h.srv.store.Close() // every query now fails
	h.brokenStore = true
	r := h.request("GET", "/v1/api-keys", sess, nil)
	e := expect(t, r, 500, wire.CodeInternal, "Internal server error")
	if len(e.Details) != 2 || e.Details["error_code"] != "INTERNAL_ERROR" || e.Details["documentation_url"] != wire.DocumentationURL ||
		strings.Contains(strings.ToLower(string(r.body)), "sql") {
		t.Fatalf("500 body leaks: %s", r.body)
	}
	if !strings.Contains(h.logs.String(), "internal error") {
		t.Fatal("the cause was not logged")
	}
}
