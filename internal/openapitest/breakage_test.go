package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/emulator"
)

// The validator is only worth its cost if it notices an emulator that
// breaks the contract. These tests serve the real emulator with one answer
// broken on purpose, between the emulator and the middleware, and require
// the middleware to report exactly that exchange, while the same
// conversation through an unbroken emulator reports nothing.

// breaker changes the answers of the emulator's handler that match route
// ("METHOD /path"), through edit (status, header and body may all change).
func breaker(h http.Handler, route string, edit func(status *int, header http.Header, body *[]byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method+" "+r.URL.Path != route {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		status, body := rec.Code, rec.Body.Bytes()
		edit(&status, rec.Header(), &body)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		w.Write(body)
	})
}

// conversation logs in through the OTP routes, reads the session and
// creates a key, through an emulator wrapped by wrap then by Middleware; it
// returns what the middleware reported.
func conversation(t *testing.T, wrap func(http.Handler) http.Handler) []string {
	t.Helper()
	srv, err := emulator.Open(context.Background(), emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	var got Violations
	hs := httptest.NewServer(Middleware(wrap(srv.Handler()), got.Add))
	defer srv.Close()
	call := func(method, path, token string, body any) map[string]any {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, hs.URL+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		json.NewDecoder(res.Body).Decode(&v)
		return v
	}
	ch := call("POST", "/v1/auth/otp", "", map[string]string{"channel": "email", "destination": emulator.DefaultPartnerEmail})
	box := call("GET", "/_emulator/outbox", "", nil)
	msgs, _ := box["messages"].([]any)
	if len(msgs) == 0 {
		t.Fatalf("no code in the outbox: %v", box)
	}
	code := msgs[len(msgs)-1].(map[string]any)["code"]
	login := call("POST", "/v1/auth/otp/verify", "", map[string]any{"verification_id": ch["verification_id"], "code": code})
	token, _ := login["session_token"].(string)
	if token == "" {
		t.Fatalf("no session: %v", login)
	}
	call("GET", "/v1/auth/session", token, nil)
	call("POST", "/v1/api-keys", token, map[string]any{"name": "contract", "permissions": []string{"loyalty:read"}})
	hs.Close() // every handler has returned
	got.mu.Lock()
	defer got.mu.Unlock()
	return append([]string(nil), got.msgs...)
}

func TestTheUnbrokenEmulatorKeepsTheContract(t *testing.T) {
	if got := conversation(t, func(h http.Handler) http.Handler { return h }); len(got) > 0 {
		t.Fatalf("the emulator as it is breaks docs/openapi.yaml:\n%s", strings.Join(got, "\n"))
	}
}

func TestBreakingTheEmulatorFailsTheValidator(t *testing.T) {
	for _, c := range []struct {
		name, route string
		edit        func(status *int, header http.Header, body *[]byte)
		want        []string // in the one report, all of these
	}{
		{"a renamed field", "GET /v1/auth/session", func(_ *int, _ http.Header, body *[]byte) {
			*body = bytes.Replace(*body, []byte(`"created_at"`), []byte(`"createdAt"`), 1)
		}, []string{"GET /v1/auth/session → 200", "createdAt", "created_at"}},
		{"a missing header", "POST /v1/api-keys", func(_ *int, header http.Header, _ *[]byte) {
			// The emulator spells the header as docs/api.md does, not
			// in Go's canonical form: delete that key, as Del would not.
			delete(header, "X-RateLimit-Remaining")
		}, []string{"POST /v1/api-keys → 201", "X-RateLimit-Remaining"}},
		{"a wrong status", "POST /v1/api-keys", func(status *int, _ http.Header, _ *[]byte) {
			*status = http.StatusOK
		}, []string{"POST /v1/api-keys → 200", "'200'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := conversation(t, func(h http.Handler) http.Handler { return breaker(h, c.route, c.edit) })
			if len(got) != 1 {
				t.Fatalf("%d reports, want 1 (the broken exchange):\n%s", len(got), strings.Join(got, "\n"))
			}
			for _, w := range c.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("the report lacks %q:\n%s", w, got[0])
				}
			}
			t.Logf("reported:\n%s", got[0])
		})
	}
}

// A request the document forbids but the server accepts is reported, unless
// the test marks it with ExpectInvalid, which the server never sees.
func TestAnAcceptedBadRequestIsReportedUnlessMarked(t *testing.T) {
	var sawMark bool
	lenient := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawMark = sawMark || r.Header.Get(ExpectInvalid) != ""
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"verification_id":"ver_0123456789ab","channel":"email","destination_hint":"d**@example.com","expires_at":"2026-01-01T00:10:00Z","resend_after":"2026-01-01T00:01:00Z"}`)
	})
	for _, marked := range []bool{false, true} {
		var got Violations
		hs := httptest.NewServer(Middleware(lenient, got.Add))
		req, _ := http.NewRequest("POST", hs.URL+"/v1/auth/otp", strings.NewReader(`{"channel":"fax","destination":"dev@example.com"}`))
		req.Header.Set("Content-Type", "application/json")
		if marked {
			req.Header.Set(ExpectInvalid, "1")
		}
		res, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		hs.Close()
		err = got.Err()
		switch {
		case !marked && (err == nil || !strings.Contains(err.Error(), "request") || !strings.Contains(err.Error(), "channel")):
			t.Errorf("an accepted request with channel \"fax\" was not reported: %v", err)
		case marked && err != nil:
			t.Errorf("a request marked %s was reported: %v", ExpectInvalid, err)
		}
	}
	if sawMark {
		t.Errorf("the server saw the %s header", ExpectInvalid)
	}
}
