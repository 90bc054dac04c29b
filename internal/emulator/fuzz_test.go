package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// requestBodies are the JSON request bodies the emulator decodes, one per
// route that takes a body.
var requestBodies = []struct {
	name string
	new  func() any
}{
	{"POST /v1/auth/otp", func() any { return new(wire.OTPRequest) }},
	{"POST /v1/auth/otp/verify", func() any { return new(wire.OTPVerifyRequest) }},
	{"POST /v1/api-keys, PATCH /v1/api-keys/{id}", func() any { return new(keyBody) }},
	{"POST /v1/api-keys/{id}/rotate", func() any { return new(rotateBody) }},
	{"POST /v1/api-keys/self/rotate", func() any { return new(selfRotateBody) }},
	{"POST /v1/api-keys/{id}/rotation/undo, POST /v1/api-keys/self/rotation/undo", func() any { return new(undoBody) }},
	{"POST /_emulator/clock", func() any { return new(clockBody) }},
}

// bodySeeds are request bodies every decoder sees first: valid ones for each
// route and the ways a body goes wrong.
var bodySeeds = []string{
	`{"channel":"email","destination":"dev@example.com"}`,
	`{"verification_id":"ver_abc","code":"123456"}`,
	`{"name":"ci","permissions":["loyalty:read"],"rate_limit":100,"environment":"staging","ip_restrictions":["10.0.0.0/8"],"expires_at":"2030-01-01"}`,
	`{"name":"renamed","ip_restrictions":[]}`,
	`{"grace_period_seconds":60,"expires_at":"2030-01-01T00:00:00Z"}`,
	`{"grace_period_seconds":0}`,
	`{"advance_seconds":3600}`,
	``, `{}`, `null`, `[]`, `"x"`, `{"name":"a"}{"name":"b"}`, `{"name":"a","name":"b"}`, `{"NAME":"a"}`,
	`{"name":1}`, `{"rate_limit":1.5}`, `{"rate_limit":1e400}`, `{"permissions":"loyalty:read"}`,
	`{"name":"\ud800"}`, "{\"name\":\"\xff\"}", `{"name":`, `{"unknown":true}`, `{"grace_period_seconds":-1}`,
	`{"advance_seconds":9223372036854775807}`, `{"expires_at":"9999-12-31T23:59:59Z"}`,
}

// FuzzDecodeJSON runs every request body type through decodeJSON: a body is
// refused with a 400 naming a field, or accepted with only its type's exact
// field names, each once, and what was decoded encodes to a body that
// decodes to the same value.
func FuzzDecodeJSON(f *testing.F) {
	for i := range requestBodies {
		for _, s := range bodySeeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		rb := requestBodies[int(kind)%len(requestBodies)]
		v := rb.new()
		err := decode(v, body)
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok || ae.Status != http.StatusBadRequest || ae.Code != wire.CodeValidation {
				t.Fatalf("%s: decode(%q) = %v, want a 400 validation error", rb.name, body, err)
			}
			if field, _ := ae.Details[wire.DetailField].(string); field == "" || !strings.HasPrefix(ae.Message, field+": ") {
				t.Fatalf("%s: decode(%q): %q names no field (details %v)", rb.name, body, ae.Message, ae.Details)
			}
			return
		}
		if len(bytes.TrimSpace(body)) > 0 {
			var top map[string]json.RawMessage
			if json.Unmarshal(body, &top) != nil {
				t.Fatalf("%s: decode accepted %q, which is not a JSON object", rb.name, body)
			}
			names := jsonFieldNames(reflect.TypeOf(v))
			for k := range top {
				if !slices.Contains(names, k) {
					t.Fatalf("%s: decode accepted %q with the key %q", rb.name, body, k)
				}
			}
		}
		again, err := json.Marshal(v)
		if err != nil {
			return // a time beyond year 9999: encoding/json cannot write it
		}
		w := rb.new()
		if err := decode(w, again); err != nil {
			t.Fatalf("%s: %q decoded, re-encoded as %q, is refused: %v", rb.name, body, again, err)
		}
		if twice, _ := json.Marshal(w); !bytes.Equal(twice, again) {
			t.Fatalf("%s: %q decoded to %s, then to %s", rb.name, body, again, twice)
		}
	})
}

// decode runs decodeJSON on body as a handler would.
func decode(v any, body []byte) error {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	return decodeJSON(httptest.NewRecorder(), r, v)
}

// FuzzRequestBodies sends any body to every route that takes one, on the
// real handler and database, signed in and with a key that may rotate
// itself: whatever the body, the answer is never a 5xx, and an error answer
// is the flat error body of docs/api.md (a 400 naming its field). The clock
// moves 0.6 s per input, so no budget runs out; an expired session is
// renewed.
func FuzzRequestBodies(f *testing.F) {
	var offset atomic.Int64
	base := time.Now()
	h := newHarness(f, func(c *Config) {
		c.Now = func() time.Time { return base.Add(time.Duration(offset.Load())) }
	})
	sess := h.login()
	key := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate", "loyalty:read"}, "rate_limit": 2000})
	handler := h.srv.Handler()
	routes := []struct{ method, path, auth string }{
		{"POST", "/v1/auth/otp", ""},
		{"POST", "/v1/auth/otp/verify", ""},
		{"POST", "/v1/api-keys", "session"},
		{"PATCH", "/v1/api-keys/" + key.KeyID, "session"},
		{"POST", "/v1/api-keys/" + key.KeyID + "/rotate", "session"},
		{"POST", "/v1/api-keys/self/rotate", "key"},
		{"POST", "/v1/api-keys/" + key.KeyID + "/rotation/undo", "session"},
		{"POST", "/v1/api-keys/self/rotation/undo", "key"},
	}
	for i := range routes {
		for _, s := range bodySeeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	send := func(method, path, auth string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		r.Host = "127.0.0.1"
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header.Set("Content-Type", "application/json")
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w
	}
	var session atomic.Value
	session.Store(sess)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		offset.Add(int64(600 * time.Millisecond))
		rt := routes[int(route)%len(routes)]
		auth := ""
		switch rt.auth {
		case "session":
			auth = session.Load().(string)
		case "key":
			auth = key.APIKey
		}
		w := send(rt.method, rt.path, auth, body)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, w.Code, w.Body)
		}
		if w.Code < 400 {
			return
		}
		var e wire.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
			t.Fatalf("%s %s %q: %d answered %q, not an error body", rt.method, rt.path, body, w.Code, w.Body)
		}
		if w.Code == http.StatusBadRequest {
			if field, _ := e.Details[wire.DetailField].(string); field == "" && e.Details[wire.DetailErrorCode] == wire.ErrValidation {
				t.Fatalf("%s %s %q: 400 naming no field: %s", rt.method, rt.path, body, w.Body)
			}
		}
		if w.Code == http.StatusUnauthorized && rt.auth == "session" && e.Details[wire.DetailErrorCode] == wire.ErrSessionExpired {
			session.Store(relogin(t, send))
		}
	})
}

// relogin signs the demo partner in again through send.
func relogin(t *testing.T, send func(method, path, auth string, body []byte) *httptest.ResponseRecorder) string {
	w := send("POST", "/v1/auth/otp", "", []byte(`{"channel":"email","destination":"`+demoEmail+`"}`))
	var ch wire.OTPChallenge
	if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &ch) != nil {
		t.Fatalf("relogin: otp %d %s", w.Code, w.Body)
	}
	w = send("GET", "/_emulator/outbox?destination="+demoEmail, "", nil)
	var box wire.Outbox
	if json.Unmarshal(w.Body.Bytes(), &box) != nil || len(box.Messages) == 0 {
		t.Fatalf("relogin: outbox %s", w.Body)
	}
	code := box.Messages[len(box.Messages)-1].Code
	w = send("POST", "/v1/auth/otp/verify", "", []byte(`{"verification_id":"`+ch.VerificationID+`","code":"`+code+`"}`))
	var l wire.Login
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &l) != nil {
		t.Fatalf("relogin: verify %d %s", w.Code, w.Body)
	}
	return l.SessionToken
}

// FuzzAppendVerification checks the hand-written encoding of the verify
// answer against encoding/json as writeJSON uses it: the same bytes, or a
// refusal that sends the answer through writeJSON.
func FuzzAppendVerification(f *testing.F) {
	f.Add("key_abcdefghijkl", "production", "loyalty:read,keys:rotate", 2000, 1999, int64(1_790_000_000_123_456_789))
	f.Add("key_\"x\\", "staging", "", 1, 0, int64(0))
	f.Add("key_é", "prod\n", "a,<b>&", -1, -5, int64(-1))
	f.Fuzz(func(t *testing.T, keyID, env, perms string, limit, remaining int, reset int64) {
		v := wire.Verification{
			Authenticated: true, KeyID: keyID, Environment: env, Permissions: []string{},
			RateLimit: wire.RateLimitState{Limit: limit, Remaining: remaining, ResetAt: time.Unix(0, reset).UTC()},
			ExpiresAt: time.Unix(0, reset).Add(365 * 24 * time.Hour).Truncate(time.Second).UTC(),
		}
		if perms != "" {
			v.Permissions = strings.Split(perms, ",")
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return
		}
		got, ok := appendVerification(nil, &v)
		if ok && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendVerification = %s, encoding/json = %s", got, want.Bytes())
		}
	})
}
