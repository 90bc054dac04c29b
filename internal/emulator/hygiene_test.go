package emulator

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// rawRequest sends req (a whole HTTP/1.1 request) on a new connection and
// returns the response exactly as the server wrote it.
func rawRequest(t *testing.T, h *harness, req string) string {
	t.Helper()
	u, _ := url.Parse(h.ts.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Issue 9, emulator fidelity: the rate-limit headers go out spelled as
// Zupy's docs spell them (Go's canonical form is X-Ratelimit-Limit), and a
// 401 carries WWW-Authenticate: Bearer, spelled as RFC 6750 does.
func TestHeadersGoOutSpelledAsDocumented(t *testing.T) {
	h := newHarness(t)
	k := h.createKey(h.login(), nil)
	raw := rawRequest(t, h, "GET /v1/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+k.APIKey+"\r\nConnection: close\r\n\r\n")
	for _, name := range []string{"X-RateLimit-Limit: 100", "X-RateLimit-Remaining: 99", "X-RateLimit-Reset: ", "X-RateLimit-Window: 60"} {
		if !strings.Contains(raw, "\r\n"+name) {
			t.Errorf("response lacks %q as written:\n%s", name, raw)
		}
	}
	raw = rawRequest(t, h, "GET /v1/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(raw, "HTTP/1.1 401 ") || !strings.Contains(raw, "\r\nWWW-Authenticate: Bearer\r\n") {
		t.Errorf("401 without WWW-Authenticate: Bearer as written:\n%s", raw)
	}
}

// Every 401, whatever the route or the cause, carries WWW-Authenticate:
// Bearer; every error of every status carries details.documentation_url.
func TestEveryErrorCarriesDocumentationAndEvery401AChallenge(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"rate_limit": 1})
	h.request("GET", "/v1/auth/verify", k.APIKey, nil)
	c := h.requestOTP("whatsapp", demoWhatsApp)
	cases := []resp{
		h.request("POST", "/v1/api-keys", sess, map[string]any{"name": "x"}),                                   // 400
		h.request("GET", "/v1/auth/verify", "", nil),                                                           // 401 key route
		h.request("GET", "/v1/api-keys", "zup_sess_"+strings.Repeat("a", 43), nil),                             // 401 session route
		h.verifyOTP(c.VerificationID, "000000"),                                                                // 401 verification_failed
		h.request("GET", "/v1/auth/verify?permission=admin:read", h.createKey(sess, nil).APIKey, nil),          // 403
		h.request("GET", "/v1/api-keys/key_000000000000", sess, nil),                                           // 404
		h.request("GET", "/nowhere", "", nil),                                                                  // 404 route
		h.request("PUT", "/v1/auth/verify", "", nil),                                                           // 405
		h.request("POST", "/v1/api-keys/"+k.KeyID+"/rotate", sess, map[string]any{"grace_period_seconds": -1}), // 400
		h.request("GET", "/v1/auth/verify", k.APIKey, nil),                                                     // 429
		h.request("POST", "/_emulator/reset", "", "{}", "Content-Type", "text/plain"),                          // 415
		h.request("GET", "/_emulator/outbox", "", nil, "Origin", "null"),                                       // 403
	}
	seen := map[int]bool{}
	for i, r := range cases {
		if r.status < 400 {
			t.Fatalf("case %d: status %d", i, r.status)
		}
		seen[r.status] = true
		if e := r.err(t); e.Details[wire.DetailDocumentationURL] != wire.DocumentationURL || e.Details[wire.DetailErrorCode] == nil {
			t.Errorf("case %d (%d): details %v", i, r.status, e.Details)
		}
		if got := r.header.Values("WWW-Authenticate"); (r.status == 401) != (len(got) == 1 && got[0] == "Bearer") {
			t.Errorf("case %d (%d): WWW-Authenticate %q", i, r.status, got)
		}
	}
	for _, st := range []int{400, 401, 403, 404, 405, 415, 429} {
		if !seen[st] {
			t.Errorf("no case answered %d", st)
		}
	}
}

// Issue 11.5: the credential-free routes were open to web pages (a text/plain
// POST from a foreign Origin wiped the data; Host: attacker.example read the
// outbox by DNS rebinding).
func TestWebPagesCannotReachTheEmulator(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	stillThere := func() {
		t.Helper()
		if got := h.getKey(sess, k.KeyID); got.KeyID != k.KeyID {
			t.Fatal("the data was wiped")
		}
	}
	refused := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		errorCode          string
	}{
		{"rebinding outbox", "GET", "/_emulator/outbox", nil, []string{"Host", "attacker.example"}, 403, wire.ErrHostNotAllowed},
		{"rebinding verify", "GET", "/v1/auth/verify", nil, []string{"Host", "attacker.example:8790"}, 403, wire.ErrHostNotAllowed},
		{"rebinding to a private address", "GET", "/_emulator/outbox", nil, []string{"Host", "192.168.1.20:8790"}, 403, wire.ErrHostNotAllowed},
		{"cross-site form reset", "POST", "/_emulator/reset", "x=1", []string{"Content-Type", "text/plain", "Origin", "https://evil.example"}, 403, wire.ErrOriginNotAllowed},
		{"foreign origin clock", "POST", "/_emulator/clock", map[string]any{"advance_seconds": 3153600000}, []string{"Origin", "http://evil.example"}, 403, wire.ErrOriginNotAllowed},
		{"null origin", "GET", "/_emulator/outbox", nil, []string{"Origin", "null"}, 403, wire.ErrOriginNotAllowed},
		{"file origin", "GET", "/_emulator/outbox", nil, []string{"Origin", "file://"}, 403, wire.ErrOriginNotAllowed},
		{"text/plain reset", "POST", "/_emulator/reset", "{}", []string{"Content-Type", "text/plain"}, 415, wire.ErrUnsupportedMediaType},
		{"form reset", "POST", "/_emulator/reset", "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, wire.ErrUnsupportedMediaType},
		{"no content type", "POST", "/_emulator/reset", nil, []string{"Content-Type", ""}, 415, wire.ErrUnsupportedMediaType},
		{"text/plain patch", "PATCH", "/v1/api-keys/" + k.KeyID, `{"name":"x"}`, []string{"Content-Type", "text/plain", "Authorization", "Bearer " + sess}, 415, wire.ErrUnsupportedMediaType},
	}
	for _, c := range refused {
		r := h.request(c.method, c.path, "", c.body, c.headers...)
		if c.headers[0] == "Host" {
			r = h.requestWithHost(c.method, c.path, c.headers[1])
		}
		e := expect(t, r, c.status)
		if e.Details[wire.DetailErrorCode] != c.errorCode {
			t.Errorf("%s: error_code %v, want %s", c.name, e.Details[wire.DetailErrorCode], c.errorCode)
		}
		stillThere()
	}
	if now := h.srv.clock.Now(); now.After(time.Now().Add(time.Hour)) {
		t.Fatalf("a refused request moved the clock to %v", now)
	}
	for _, host := range []string{"localhost", "LOCALHOST:8790", "app.localhost:1", "127.0.0.1", "127.9.9.9:80", "[::1]:8790", "localhost."} {
		expect(t, h.requestWithHost("GET", "/_emulator/outbox", host), 200)
	}
	for _, origin := range []string{"http://localhost:3000", "https://127.0.0.1", "http://[::1]:8790"} {
		expect(t, h.request("GET", "/_emulator/outbox", "", nil, "Origin", origin), 200)
	}
	expect(t, h.request("POST", "/_emulator/clock", "", map[string]any{"advance_seconds": 1}, "Content-Type", "application/json; charset=utf-8"), 200)
}

// requestWithHost sends a request whose Host header is host.
func (h *harness) requestWithHost(method, path, host string) resp {
	h.t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = host
	res, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// Bound beyond loopback (a container), the names it is reached by are
// allowed with --allowed-host; the trusted-proxy path keeps working behind
// such a name.
func TestAllowedHostsAndTheTrustedProxyPath(t *testing.T) {
	h := newHarness(t, trustLoopback, func(c *Config) { c.AllowedHosts = []string{"Emulator.Internal", "10.0.0.7"} })
	sess := h.login()
	k := h.createKey(sess, map[string]any{"ip_restrictions": []string{"203.0.113.5"}})
	for _, host := range []string{"emulator.internal:8790", "EMULATOR.internal", "10.0.0.7:8790", "localhost"} {
		expect(t, h.requestWithHost("GET", "/_emulator/outbox", host), 200)
	}
	expect(t, h.requestWithHost("GET", "/_emulator/outbox", "other.internal"), 403)
	expect(t, h.request("GET", "/_emulator/outbox", "", nil, "Origin", "https://emulator.internal"), 200)

	verify := func(xff string) resp {
		req, _ := http.NewRequest("GET", h.ts.URL+"/v1/auth/verify", nil)
		req.Host = "emulator.internal"
		req.Header.Set("Authorization", "Bearer "+k.APIKey)
		req.Header.Set("X-Forwarded-For", xff)
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, header: res.Header, body: b}
	}
	expect(t, verify("203.0.113.5"), 200)
	e := expect(t, verify("198.51.100.1"), 403, wire.CodePermission, wire.MsgIPNotAllowed)
	if e.Details[wire.DetailErrorCode] != wire.ErrIPNotAllowed {
		t.Fatalf("details %v", e.Details)
	}
}

func TestNormalizeAllowedHost(t *testing.T) {
	for in, want := range map[string]string{"Emulator": "emulator", "zupy.test.": "zupy.test", "10.0.0.7": "10.0.0.7", "::1": "::1", "[fd00::1]": "fd00::1"} {
		if got, ok := NormalizeAllowedHost(in); !ok || got != want {
			t.Errorf("NormalizeAllowedHost(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "host:8790", "http://host", "a b", "a..b", "a/b", "user@host", "host?x"} {
		if got, ok := NormalizeAllowedHost(bad); ok {
			t.Errorf("NormalizeAllowedHost(%q) = %q, accepted", bad, got)
		}
	}
}

// Issue 11.7: session routes took the first of two Authorization headers
// while key routes refused them; now every route answers 401.
func TestTwoAuthorizationHeadersAre401Everywhere(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	for _, c := range []struct {
		method, path, first, message string
		body                         any
	}{
		{"GET", "/v1/api-keys", sess, wire.MsgInvalidSessionToken, nil},
		{"GET", "/v1/auth/session", sess, wire.MsgInvalidSessionToken, nil},
		{"DELETE", "/v1/auth/session", sess, wire.MsgInvalidSessionToken, nil},
		{"GET", "/v1/auth/verify", k.APIKey, wire.MsgInvalidAPIKeyFormat, nil},
		{"GET", "/v1/loyalty/program", k.APIKey, wire.MsgInvalidAPIKeyFormat, nil},
		{"POST", "/v1/auth/otp", sess, wire.MsgInvalidSessionToken, wire.OTPRequest{Destination: demoEmail}},
		{"GET", "/_emulator/outbox", sess, wire.MsgInvalidSessionToken, nil},
	} {
		r := h.request(c.method, c.path, c.first, c.body, "Authorization", "Bearer "+c.first)
		e := expect(t, r, 401, wire.CodeAuthentication, c.message)
		if e.Details[wire.DetailErrorCode] != wire.ErrDuplicateAuthorization {
			t.Errorf("%s %s: details %v", c.method, c.path, e.Details)
		}
	}
	expect(t, h.request("GET", "/v1/auth/session", sess, nil), 200) // the session still works, alone
}

// Issue 11.9: "//" and "/./" forms got a 307 text/html redirect.
func TestUncleanPathsAreJSON404s(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	for _, p := range []string{"//v1/api-keys", "/v1//api-keys", "/v1/api-keys/./" + k.KeyID, "/v1/api-keys/" + k.KeyID + "/.", "/v1/x/../api-keys",
		"/v1/api-keys/%2E/" + k.KeyID, "/_emulator//outbox"} {
		raw := rawRequest(t, h, "GET "+p+" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+sess+"\r\nConnection: close\r\n\r\n")
		status, _, _ := strings.Cut(raw, "\r\n")
		if status != "HTTP/1.1 404 Not Found" || strings.Contains(raw, "\r\nLocation:") || !strings.Contains(raw, "\r\nContent-Type: application/json\r\n") {
			t.Errorf("GET %s:\n%s", p, raw)
		}
	}
	// And a method the clean path does not take is still a JSON 405.
	expect(t, h.request("PUT", "/v1/api-keys/"+k.KeyID, sess, "{}"), 405, wire.CodeMethodNotAllowed)
}

// Issue 11.6: a malformed query was dropped silently, so the verification
// passed without checking the permission asked for.
func TestMalformedQueryIs400NamingTheParameter(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	for _, q := range []string{"permission=customer:write;x", "permission=%zz", "permission=%", "permission=loyalty:read&permission=%zz"} {
		r := rawRequest(t, h, "GET /v1/auth/verify?"+q+" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+k.APIKey+"\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(r, "HTTP/1.1 400 ") || !strings.Contains(r, `"field":"permission"`) {
			t.Errorf("?%s:\n%s", q, r)
		}
	}
	for _, c := range []struct{ path, field string }{
		{"/v1/api-keys?status=%zz", "status"}, {"/v1/api-keys?x=1;y", "query"}, {"/_emulator/outbox?destination=%", "destination"},
	} {
		auth := "Authorization: Bearer " + sess + "\r\n"
		r := rawRequest(t, h, "GET "+c.path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n"+auth+"Connection: close\r\n\r\n")
		if !strings.HasPrefix(r, "HTTP/1.1 400 ") || !strings.Contains(r, `"field":"`+c.field+`"`) {
			t.Errorf("%s:\n%s", c.path, r)
		}
	}
}

// Issue 11.8: invalid UTF-8 and lone surrogates were stored as U+FFFD, and
// 100.0 for an integer said "must be a number".
func TestBodiesMustBeTextAndIntegersIntegers(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	for _, c := range []struct{ body, field, message string }{
		{"{\"name\":\"a\xffb\",\"permissions\":[\"loyalty:read\"]}", "name", "valid UTF-8"},
		{`{"name":"a\ud800b","permissions":["loyalty:read"]}`, "name", "valid UTF-8"},
		{`{"name":"a\udc00","permissions":["loyalty:read"]}`, "name", "valid UTF-8"},
		{`{"name":"\ud83d\u0041","permissions":["loyalty:read"]}`, "name", "valid UTF-8"},
		{`{"name":"n","description":"x\ud800","permissions":["loyalty:read"]}`, "description", "valid UTF-8"},
		{`{"name":"n","permissions":["loyalty:read"],"rate_limit":100.0}`, "rate_limit", "must be an integer"},
		{`{"name":"n","permissions":["loyalty:read"],"rate_limit":1e2}`, "rate_limit", "must be an integer"},
		{`{"name":"n","permissions":["loyalty:read"],"rate_limit":"100"}`, "rate_limit", "must be an integer"},
	} {
		e := expect(t, h.request("POST", "/v1/api-keys", sess, c.body), 400, wire.CodeValidation)
		if e.Details[wire.DetailField] != c.field || !strings.Contains(e.Message, c.message) {
			t.Errorf("%q: %s %v", c.body, e.Message, e.Details)
		}
	}
	// Escapes that are text pass, surrogate pairs and escaped backslashes included.
	k := h.createKey(sess, map[string]any{"name": "pdv \U0001F600 \\ud800 é"})
	if k.Name != "pdv \U0001F600 \\ud800 é" {
		t.Fatalf("name %q", k.Name)
	}
	var list wire.KeyList
	h.request("GET", "/v1/api-keys", sess, nil).decode(t, &list)
	if len(list.Data) != 1 {
		t.Fatalf("refused bodies stored keys: %d", len(list.Data))
	}
}

// Issue 11.10: last_used_at carried nanoseconds.
func TestLastUsedAtIsWholeSeconds(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Now = func() time.Time { return time.Date(2030, 1, 1, 12, 0, 0, 530999773, time.UTC) }
	})
	sess := h.login()
	k := h.createKey(sess, nil)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	r := h.request("GET", "/v1/api-keys/"+k.KeyID, sess, nil)
	if !strings.Contains(string(r.body), `"last_used_at":"2030-01-01T12:00:00Z"`) {
		t.Fatalf("last_used_at not in whole seconds: %s", r.body)
	}
	if err := h.srv.flushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	stored, err := h.srv.store.KeyByID(t.Context(), k.KeyID)
	if err != nil || stored.LastUsedAt.Nanosecond() != 0 {
		t.Fatalf("stored last_used_at %v %v", stored.LastUsedAt, err)
	}
}
