package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/openapitest"
	"github.com/zupy/zupy-cli/internal/wire"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness runs the real server on loopback over SQLite in a temp dir.
type harness struct {
	t    testing.TB
	srv  *Server
	ts   *httptest.Server
	dir  string
	logs *syncBuffer
	msgs *syncBuffer
	// secrets collects every key, token and code seen, for the leak test.
	secrets []string
	// brokenStore: the test closed the store itself, so Close fails.
	brokenStore bool
}

func newHarness(t testing.TB, tweak ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), logs: &syncBuffer{}, msgs: &syncBuffer{}}
	cfg := Config{
		DataDir:  h.dir,
		Logger:   slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Messages: h.msgs,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	h.srv = srv
	h.ts = httptest.NewServer(h.conforming(srv.Handler()))
	t.Cleanup(func() {
		h.ts.Close()
		if err := h.srv.Close(); err != nil && !h.brokenStore {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// restart closes the server and opens a new one on the same data directory,
// as a process restart would (tweaks apply to the new one).
func (h *harness) restart(tweak ...func(*Config)) {
	h.t.Helper()
	h.ts.Close()
	if err := h.srv.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	cfg := Config{
		DataDir:  h.dir,
		Logger:   slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Messages: h.msgs,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := Open(context.Background(), cfg)
	if err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	h.srv = srv
	h.ts = httptest.NewServer(h.conforming(srv.Handler()))
}

// conforming wraps the emulator's handler so that every exchange of the
// test is validated against docs/openapi.yaml (internal/openapitest): a
// violation fails the test that caused it. Benchmarks measure the emulator
// alone, unwrapped.
func (h *harness) conforming(handler http.Handler) http.Handler {
	if _, bench := h.t.(*testing.B); bench {
		return handler
	}
	t := h.t
	return openapitest.Middleware(handler, func(msg string) { t.Errorf("%s", msg) })
}

func trustLoopback(c *Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}

type resp struct {
	status int
	header http.Header
	body   []byte
	// method and target (path and query) of the request answered.
	method, target string
}

func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) err(t testing.TB) wire.ErrorBody {
	t.Helper()
	var e wire.ErrorBody
	r.decode(t, &e)
	return e
}

// request sends method path with an optional "Bearer auth" and JSON body
// (Content-Type: application/json on POST, PUT and PATCH); extra headers
// come as name, value pairs, a Content-Type among them replacing that one.
func (h *harness) request(method, path, auth string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		req.Header.Set("Content-Type", "application/json") // headers may say otherwise
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Content-Type" {
			req.Header.Del("Content-Type")
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b, method: method, target: path}
}

// expect fails unless r has status (and, for errors, the error code and
// message given).
func expect(t testing.TB, r resp, status int, codeAndMessage ...string) wire.ErrorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if status < 400 {
		return wire.ErrorBody{}
	}
	e := r.err(t)
	if len(codeAndMessage) == 0 {
		return e
	}
	if e.Error != codeAndMessage[0] {
		t.Fatalf("error %q, want %q; body %s", e.Error, codeAndMessage[0], r.body)
	}
	if len(codeAndMessage) > 1 && e.Message != codeAndMessage[1] {
		t.Fatalf("message %q, want %q", e.Message, codeAndMessage[1])
	}
	return e
}

func (h *harness) advance(seconds int64) {
	h.t.Helper()
	expect(h.t, h.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": seconds}), 200)
}

// requestOTP asks for a code and returns the challenge.
func (h *harness) requestOTP(channel, dest string) wire.OTPChallenge {
	h.t.Helper()
	r := h.request("POST", "/v1/auth/otp", "", wire.OTPRequest{Channel: channel, Destination: dest})
	expect(h.t, r, http.StatusAccepted)
	var c wire.OTPChallenge
	r.decode(h.t, &c)
	return c
}

// lastCode is the latest code in the outbox for dest.
func (h *harness) lastCode(dest string) string {
	h.t.Helper()
	var box wire.Outbox
	h.request("GET", "/_emulator/outbox?destination="+url.QueryEscape(dest), "", nil).decode(h.t, &box)
	if len(box.Messages) == 0 {
		h.t.Fatalf("no message to %s", dest)
	}
	code := box.Messages[len(box.Messages)-1].Code
	h.secrets = append(h.secrets, code)
	return code
}

func (h *harness) verifyOTP(id, code string) resp {
	h.t.Helper()
	return h.request("POST", "/v1/auth/otp/verify", "", wire.OTPVerifyRequest{VerificationID: id, Code: code})
}

// login signs the demo partner in by e-mail and returns the session token.
func (h *harness) login() string {
	h.t.Helper()
	return h.loginAs("dev@example.com")
}

// loginAs signs the partner with this e-mail in and returns the session
// token.
func (h *harness) loginAs(email string) string {
	h.t.Helper()
	c := h.requestOTP("email", email)
	r := h.verifyOTP(c.VerificationID, h.lastCode(email))
	expect(h.t, r, 200)
	var l wire.Login
	r.decode(h.t, &l)
	h.secrets = append(h.secrets, l.SessionToken)
	return l.SessionToken
}

// otherPartner stops h's server and opens its data directory again with a
// second partner seeded, logged in: the harness and that partner's session,
// for the tests that another partner's keys are unknown (404).
func (h *harness) otherPartner() (*harness, string) {
	h.t.Helper()
	h.ts.Close()
	h.srv.Close()
	h2 := newHarness(h.t, func(c *Config) {
		c.DataDir = h.dir
		c.PartnerEmail = "other@example.org"
		c.PartnerWhatsApp = "+5521988887777"
	})
	return h2, h2.loginAs("other@example.org")
}

// createKey creates a key with body (name and permissions defaulted).
func (h *harness) createKey(session string, body map[string]any) wire.Key {
	h.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["name"]; !ok {
		body["name"] = "test key"
	}
	if _, ok := body["permissions"]; !ok {
		body["permissions"] = []string{"loyalty:read"}
	}
	r := h.request("POST", "/v1/api-keys", session, body)
	expect(h.t, r, http.StatusCreated)
	var k wire.Key
	r.decode(h.t, &k)
	h.secrets = append(h.secrets, k.APIKey)
	return k
}

func (h *harness) rotate(session, keyID string, body any) resp {
	h.t.Helper()
	r := h.request("POST", "/v1/api-keys/"+keyID+"/rotate", session, body)
	if r.status == http.StatusCreated {
		var k wire.Key
		r.decode(h.t, &k)
		h.secrets = append(h.secrets, k.APIKey)
	}
	return r
}

func (h *harness) getKey(session, id string) wire.Key {
	h.t.Helper()
	r := h.request("GET", "/v1/api-keys/"+id, session, nil)
	expect(h.t, r, 200)
	var k wire.Key
	r.decode(h.t, &k)
	return k
}

type auditEvent = store.AuditEvent

func filepathGlob(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "*")) }
