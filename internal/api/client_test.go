package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRequestCarriesBearerUserAgentAndJSONHeaders(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 201, `{"key_id":"key_abc"}`) })
	if _, _, err := f.client.CreateKey(context.Background(), testSession, CreateKeyRequest{Name: "n", Permissions: []string{"loyalty:read"}}); err != nil {
		t.Fatal(err)
	}
	h := f.rec.all()[0].Header
	for name, want := range map[string]string{
		"Authorization": "Bearer " + testSession,
		"User-Agent":    "zupy/test",
		"Accept":        "application/json",
		"Content-Type":  "application/json",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestRequestWithoutTokenOrBodySendsNeitherHeader(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	if _, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	h := f.rec.all()[0].Header
	if _, ok := h["Authorization"]; ok {
		t.Errorf("Authorization sent without a token: %q", h.Get("Authorization"))
	}
	if _, ok := h["Content-Type"]; ok {
		t.Errorf("Content-Type sent without a body")
	}
}

func TestBaseURLTrailingSlashRemoved(t *testing.T) {
	var f *fixture
	f = newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) }, func(o *Options) { o.BaseURL += "/" })
	if got := f.client.BaseURL(); strings.HasSuffix(got, "/") {
		t.Fatalf("BaseURL() = %q", got)
	}
	for _, path := range []string{"/auth/session", "auth/session"} {
		if _, err := f.client.Do(context.Background(), Request{Path: path}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range f.rec.all() {
		if r.Path != "/v1/auth/session" || r.Method != "GET" {
			t.Fatalf("sent %s %s, want GET /v1/auth/session", r.Method, r.Path)
		}
	}
}

func TestPathQueryMergesWithQueryValues(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	q := url.Values{"b": {"2 3"}}
	if _, err := f.client.Do(context.Background(), Request{Path: "/loyalty/program?a=1&b=x", Query: q}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := url.ParseQuery(f.rec.all()[0].RawQuery)
	if got.Get("a") != "1" || strings.Join(got["b"], ",") != "x,2 3" {
		t.Fatalf("query = %v", got)
	}
}

func TestRawBodySentAsIs(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	raw := []byte(`{"z":1,  "a":2}`)
	if _, err := f.client.Do(context.Background(), Request{Method: "POST", Path: "/x", Body: raw}, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(f.rec.all()[0].Body); got != string(raw) {
		t.Fatalf("body = %q", got)
	}
}

func TestTypedMethodsHitTheirRoutes(t *testing.T) {
	ctx := context.Background()
	keyJSON := `{"key_id":"key_abc123def456","name":"pos","permissions":["loyalty:read"],"status":"active","api_key":"` + testKey + `",
		"previous_key":{"key_id":"key_old","status":"active","expires_at":"2026-03-02T12:00:00Z"}}`
	undoneJSON := `{"key_id":"key_abc123def456","status":"active","rotated_to":null,
		"revoked_successor":{"key_id":"key_new123def456","revoked_at":"2026-03-01T12:00:00Z","status":"revoked"}}`
	checkUndone := func(t *testing.T, got any) {
		k := got.(*Key)
		if rs := k.RevokedSuccessor; k.KeyID != "key_abc123def456" || k.RotatedTo != nil || rs == nil || rs.KeyID != "key_new123def456" ||
			rs.Status != StatusRevoked || !rs.RevokedAt.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("%+v (revoked_successor %+v)", k, k.RevokedSuccessor)
		}
	}
	cases := []struct {
		name      string
		answer    string
		status    int
		call      func(c *Client) (any, error)
		method    string
		path      string
		query     url.Values
		token     string
		body      string // expected JSON body, "" for none
		checkDone func(t *testing.T, got any)
	}{
		{
			name: "RequestOTP", status: 202,
			answer: `{"verification_id":"ver_1","channel":"email","destination_hint":"d***@example.com","expires_at":"2026-03-01T12:10:00Z","resend_after":"2026-03-01T12:01:00Z"}`,
			call: func(c *Client) (any, error) {
				return dropResponse(c.RequestOTP(ctx, OTPRequest{Channel: "email", Destination: "dev@example.com"}, false))
			},
			method: "POST", path: "/v1/auth/otp", body: `{"channel":"email","destination":"dev@example.com"}`,
			checkDone: func(t *testing.T, got any) {
				ch := got.(*OTPChallenge)
				if ch.VerificationID != "ver_1" || !ch.ExpiresAt.Equal(time.Date(2026, 3, 1, 12, 10, 0, 0, time.UTC)) {
					t.Fatalf("%+v", ch)
				}
			},
		},
		{
			name: "VerifyOTP", status: 200,
			answer: `{"session_token":"` + testSession + `","expires_at":"2026-03-02T12:00:00Z","partner":{"id":"p_1","name":"Demo Partner"}}`,
			call: func(c *Client) (any, error) {
				return dropResponse(c.VerifyOTP(ctx, OTPVerifyRequest{VerificationID: "ver_1", Code: testCode}))
			},
			method: "POST", path: "/v1/auth/otp/verify", body: `{"verification_id":"ver_1","code":"` + testCode + `"}`,
			checkDone: func(t *testing.T, got any) {
				if l := got.(*Login); l.SessionToken != testSession || l.Partner.Name != "Demo Partner" {
					t.Fatalf("%+v", l)
				}
			},
		},
		{
			name: "Session", status: 200, answer: `{"partner":{"email":"dev@example.com"},"created_at":"2026-03-01T12:00:00Z"}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.Session(ctx, testSession)) },
			method: "GET", path: "/v1/auth/session", token: testSession,
			checkDone: func(t *testing.T, got any) {
				if s := got.(*Session); s.Partner.Email != "dev@example.com" {
					t.Fatalf("%+v", s)
				}
			},
		},
		{
			name: "DeleteSession", status: 204,
			call:   func(c *Client) (any, error) { _, err := c.DeleteSession(ctx, testSession); return nil, err },
			method: "DELETE", path: "/v1/auth/session", token: testSession,
		},
		{
			name: "CreateKey", status: 201, answer: keyJSON,
			call: func(c *Client) (any, error) {
				rl := 200
				return dropResponse(c.CreateKey(ctx, testSession, CreateKeyRequest{Name: "pos", Permissions: []string{"loyalty:read"}, RateLimit: &rl}))
			},
			method: "POST", path: "/v1/api-keys", token: testSession,
			body: `{"name":"pos","permissions":["loyalty:read"],"rate_limit":200}`,
			checkDone: func(t *testing.T, got any) {
				if k := got.(*Key); k.APIKey != testKey || k.KeyID != "key_abc123def456" {
					t.Fatalf("%+v", k)
				}
			},
		},
		{
			name: "ListKeys", status: 200, answer: `{"data":[{"key_id":"key_a"},{"key_id":"key_b"}]}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.ListKeys(ctx, testSession, "staging", "all")) },
			method: "GET", path: "/v1/api-keys", token: testSession,
			query: url.Values{"environment": {"staging"}, "status": {"all"}, "limit": {"1000"}},
			checkDone: func(t *testing.T, got any) {
				if ks := got.([]Key); len(ks) != 2 || ks[1].KeyID != "key_b" {
					t.Fatalf("%+v", ks)
				}
			},
		},
		{
			name: "ListKeysPage", status: 200, answer: `{"data":[{"key_id":"key_a"}],"next_cursor":"c2"}`,
			call: func(c *Client) (any, error) {
				return dropResponse(c.ListKeysPage(ctx, testSession, ListKeysQuery{Limit: 1, Cursor: "c1"}))
			},
			method: "GET", path: "/v1/api-keys", token: testSession, query: url.Values{"limit": {"1"}, "cursor": {"c1"}},
			checkDone: func(t *testing.T, got any) {
				if l := got.(*KeyList); len(l.Data) != 1 || l.NextCursor == nil || *l.NextCursor != "c2" {
					t.Fatalf("%+v", l)
				}
			},
		},
		{
			name: "KeyUsage", status: 200, answer: `{"key_id":"key_a","bucket":"hour","totals":{"requests":3}}`,
			call: func(c *Client) (any, error) {
				return dropResponse(c.KeyUsage(ctx, testSession, "key_a", UsageQuery{Since: "7d", Bucket: "hour", Lineage: true}))
			},
			method: "GET", path: "/v1/api-keys/key_a/usage", token: testSession,
			query: url.Values{"since": {"7d"}, "bucket": {"hour"}, "lineage": {"true"}},
			checkDone: func(t *testing.T, got any) {
				if u := got.(*KeyUsage); u.KeyID != "key_a" || u.Totals.Requests != 3 {
					t.Fatalf("%+v", u)
				}
			},
		},
		{
			name: "SelfUsage", status: 200, answer: `{"key_id":"key_a"}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.SelfUsage(ctx, testKey, UsageQuery{Since: "1h"})) },
			method: "GET", path: "/v1/api-keys/self/usage", token: testKey, query: url.Values{"since": {"1h"}},
		},
		{
			name: "UsageSummary", status: 200, answer: `{"data":[{"key_id":"key_a"}],"next_cursor":null}`,
			call: func(c *Client) (any, error) {
				return dropResponse(c.UsageSummary(ctx, testSession, "24h", 50, "c1"))
			},
			method: "GET", path: "/v1/api-keys/usage", token: testSession,
			query: url.Values{"since": {"24h"}, "limit": {"50"}, "cursor": {"c1"}},
		},
		{
			name: "ListKeys without filters", status: 200, answer: `{"data":[]}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.ListKeys(ctx, testSession, "", "")) },
			method: "GET", path: "/v1/api-keys", token: testSession, query: url.Values{"limit": {"1000"}},
			checkDone: func(t *testing.T, got any) {
				if ks := got.([]Key); ks == nil || len(ks) != 0 {
					t.Fatalf("%#v", ks)
				}
			},
		},
		{
			name: "GetKey", status: 200, answer: keyJSON,
			call:   func(c *Client) (any, error) { return dropResponse(c.GetKey(ctx, testSession, "key_abc123def456")) },
			method: "GET", path: "/v1/api-keys/key_abc123def456", token: testSession,
		},
		{
			name: "UpdateKey", status: 200, answer: keyJSON,
			call: func(c *Client) (any, error) {
				name, ips := "new", []string{}
				return dropResponse(c.UpdateKey(ctx, testSession, "key_abc123def456", UpdateKeyRequest{Name: &name, IPRestrictions: &ips}))
			},
			method: "PATCH", path: "/v1/api-keys/key_abc123def456", token: testSession,
			body: `{"name":"new","ip_restrictions":[]}`,
		},
		{
			name: "RevokeKey", status: 200, answer: `{"key_id":"key_abc123def456","status":"revoked"}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.RevokeKey(ctx, testSession, "key_abc123def456")) },
			method: "DELETE", path: "/v1/api-keys/key_abc123def456", token: testSession,
			checkDone: func(t *testing.T, got any) {
				if k := got.(*Key); k.Status != StatusRevoked {
					t.Fatalf("%+v", k)
				}
			},
		},
		{
			name: "RotateKey", status: 201, answer: keyJSON,
			call: func(c *Client) (any, error) {
				return dropResponse(c.RotateKey(ctx, testSession, "key_abc123def456", RotateRequest{GracePeriodSeconds: 86400}))
			},
			method: "POST", path: "/v1/api-keys/key_abc123def456/rotate", token: testSession,
			body: `{"grace_period_seconds":86400}`,
			checkDone: func(t *testing.T, got any) {
				if k := got.(*Key); k.PreviousKey == nil || k.PreviousKey.KeyID != "key_old" {
					t.Fatalf("%+v", k)
				}
			},
		},
		{
			name: "RotateSelf", status: 201, answer: keyJSON,
			call: func(c *Client) (any, error) {
				return dropResponse(c.RotateSelf(ctx, testKey, RotateRequest{GracePeriodSeconds: 0}))
			},
			method: "POST", path: "/v1/api-keys/self/rotate", token: testKey,
			body: `{"grace_period_seconds":0}`,
		},
		{
			name: "UndoRotation", status: 200, answer: undoneJSON,
			call: func(c *Client) (any, error) {
				return dropResponse(c.UndoRotation(ctx, testSession, "key_new123def456"))
			},
			method: "POST", path: "/v1/api-keys/key_new123def456/rotation/undo", token: testSession, body: `{}`,
			checkDone: checkUndone,
		},
		{
			name: "UndoSelfRotation", status: 200, answer: undoneJSON,
			call:   func(c *Client) (any, error) { return dropResponse(c.UndoSelfRotation(ctx, testKey)) },
			method: "POST", path: "/v1/api-keys/self/rotation/undo", token: testKey, body: `{}`,
			checkDone: checkUndone,
		},
		{
			name: "Verify", status: 200,
			answer: `{"authenticated":true,"key_id":"key_a","environment":"production","permissions":["loyalty:read"],"rate_limit":{"limit":100,"remaining":99,"reset_at":"2026-03-01T12:01:00Z"}}`,
			call: func(c *Client) (any, error) {
				v, resp, err := c.Verify(ctx, testKey, []string{"loyalty:read", "customer:read"}, false)
				if err == nil && resp == nil {
					t.Fatal("Verify returned no Response")
				}
				return v, err
			},
			method: "GET", path: "/v1/auth/verify", token: testKey,
			query: url.Values{"permission": {"loyalty:read", "customer:read"}},
			checkDone: func(t *testing.T, got any) {
				if v := got.(*Verification); !v.Authenticated || v.RateLimit.Remaining != 99 {
					t.Fatalf("%+v", v)
				}
			},
		},
		{
			name: "Outbox", status: 200,
			answer: `{"messages":[{"channel":"whatsapp","destination":"+5511999990000","code":"` + testCode + `"}]}`,
			call:   func(c *Client) (any, error) { return dropResponse(c.Outbox(ctx, "+5511999990000")) },
			method: "GET", path: "/_emulator/outbox", query: url.Values{"destination": {"+5511999990000"}},
			checkDone: func(t *testing.T, got any) {
				if o := got.(*Outbox); len(o.Messages) != 1 || o.Messages[0].Code != testCode {
					t.Fatalf("%+v", o)
				}
			},
		},
		{
			name: "AdvanceClock", status: 200, answer: `{"now":"2026-03-01T13:00:00Z"}`,
			call: func(c *Client) (any, error) {
				now, _, err := c.AdvanceClock(ctx, 3600)
				return now, err
			},
			method: "POST", path: "/_emulator/clock", body: `{"advance_seconds":3600}`,
			checkDone: func(t *testing.T, got any) {
				if now := got.(time.Time); !now.Equal(time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)) {
					t.Fatalf("now = %v", now)
				}
			},
		},
		{
			name: "ResetEmulator", status: 204,
			call:   func(c *Client) (any, error) { _, err := c.ResetEmulator(ctx); return nil, err },
			method: "POST", path: "/_emulator/reset", body: `{}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, tc.status, tc.answer) })
			got, err := tc.call(f.client)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.rec.all()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != tc.path {
				t.Fatalf("sent %s %s, want %s %s", r.Method, r.Path, tc.method, tc.path)
			}
			gotQuery, _ := url.ParseQuery(r.RawQuery)
			if tc.query == nil {
				tc.query = url.Values{}
			}
			if gotQuery.Encode() != tc.query.Encode() {
				t.Fatalf("query = %q, want %q", gotQuery.Encode(), tc.query.Encode())
			}
			wantAuth := ""
			if tc.token != "" {
				wantAuth = "Bearer " + tc.token
			}
			if got := r.Header.Get("Authorization"); got != wantAuth {
				t.Fatalf("Authorization = %q, want %q", got, wantAuth)
			}
			if string(r.Body) != tc.body {
				t.Fatalf("body = %s, want %s", r.Body, tc.body)
			}
			if tc.checkDone != nil {
				tc.checkDone(t, got)
			}
		})
	}
}

func TestKeyIDIsPathEscaped(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	if _, _, err := f.client.GetKey(context.Background(), testSession, "key_a/b?c d"); err != nil {
		t.Fatal(err)
	}
	r := f.rec.all()[0]
	if r.RawPath != "/v1/api-keys/key_a%2Fb%3Fc%20d" || r.RawQuery != "" {
		t.Fatalf("raw path %q query %q", r.RawPath, r.RawQuery)
	}
}

func TestEmulatorRoutesLiveOutsideV1(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8790/v1":      "http://127.0.0.1:8790",
		"http://127.0.0.1:8790/v1/":     "http://127.0.0.1:8790",
		"http://127.0.0.1:8790":         "http://127.0.0.1:8790",
		"https://example.com/zupy/v1":   "https://example.com/zupy",
		"https://example.com/v10":       "https://example.com/v10",
		"https://api.zupy.com/v1//////": "https://api.zupy.com",
	} {
		if got := New(Options{BaseURL: base}).Origin(); got != want {
			t.Errorf("Origin(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestRateLimitAndDateHeadersParsedOnSuccessAndError(t *testing.T) {
	reset := serverDate.Add(38 * time.Second)
	headers := []string{
		"Date", serverDate.Format(http.TimeFormat),
		"X-RateLimit-Limit", "100", "X-RateLimit-Remaining", "0",
		"X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10), "X-RateLimit-Window", "60",
	}
	want := RateLimitHeaders{Present: true, Limit: 100, Remaining: 0, Window: 60, Reset: reset}
	ok := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`, headers...) })
	resp, err := ok.client.Do(context.Background(), Request{Path: "/auth/verify"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRateLimit(resp.RateLimit, want) || !resp.Date.Equal(serverDate) || resp.Status != 200 {
		t.Fatalf("success: %+v date %v", resp.RateLimit, resp.Date)
	}

	limited := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 429, limitBody, append(headers, "Retry-After", "38")...)
	})
	_, _, err = limited.client.Verify(context.Background(), testKey, nil, true)
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	want.RetryAfter = 38 * time.Second
	if got := apiErr.Response.RateLimit; !sameRateLimit(got, want) || !apiErr.Response.Date.Equal(serverDate) {
		t.Fatalf("error: %+v", got)
	}

	bare := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
	resp, _ = bare.client.Do(context.Background(), Request{Path: "/x"}, nil)
	if resp.RateLimit.Present || resp.RateLimit.RetryAfter != 0 {
		t.Fatalf("no headers but %+v", resp.RateLimit)
	}
}

func sameRateLimit(a, b RateLimitHeaders) bool {
	ar, br := a.Reset, b.Reset
	a.Reset, b.Reset = time.Time{}, time.Time{}
	return a == b && ar.Equal(br)
}

func TestVerifyReturnsResponseWithError(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, 403, `{"error":"permission_denied","message":"Insufficient permissions for this operation"}`, "X-RateLimit-Limit", "100")
	})
	v, resp, err := f.client.Verify(context.Background(), testKey, []string{"admin:read"}, true)
	var apiErr *Error
	if v != nil || resp == nil || !resp.RateLimit.Present || !errors.As(err, &apiErr) || apiErr.Kind() != KindPermission {
		t.Fatalf("v=%v resp=%v err=%v", v, resp, err)
	}
}

func TestSuccessWithInvalidJSONIsAnError(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `<html>`) })
	if _, _, err := f.client.Session(context.Background(), testSession); err == nil {
		t.Fatal("no error for an undecodable answer")
	}
}

func TestTimeoutIsNetworkErrorNamingTheTimeout(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}, func(o *Options) { o.Timeout = 50 * time.Millisecond; o.Retries = 0 })
	_, err := f.client.Do(context.Background(), Request{Path: "/auth/verify", Query: url.Values{"permission": {"x"}}, Token: testKey}, nil)
	var netErr *NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	msg := err.Error()
	if !netErr.Timeout() || !strings.Contains(msg, "timed out after 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("message %q does not name the timeout", msg)
	}
	if !strings.Contains(msg, strings.TrimPrefix(f.srv.URL, "http://")) || strings.Contains(msg, "permission") || strings.Contains(msg, testKey) {
		t.Fatalf("message %q should name the host only", msg)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal("a timeout reads as a cancellation (exit 130)")
	}
}

func TestTimeoutAppliesPerAttempt(t *testing.T) {
	var n atomic.Int32
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		reply(w, 200, `{"ok":true}`)
	}, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	var out struct{ OK bool }
	if _, err := f.client.Do(context.Background(), Request{Path: "/x"}, &out); err != nil || !out.OK {
		t.Fatalf("GET after one timed-out attempt: %v %+v", err, out)
	}
}

func TestDebugTraceShowsExchangeWithoutSecrets(t *testing.T) {
	var trace strings.Builder
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/auth/otp/verify":
			reply(w, 200, `{"session_token":"`+testSession+`","partner":{"name":"Demo"}}`)
		case "/v1/api-keys":
			reply(w, 201, `{"key_id":"key_x","api_key":"`+testKey2+`","key_hint":"zup_test_sk_…JiHg"}`, "X-RateLimit-Remaining", "119")
		case "/_emulator/outbox":
			reply(w, 200, `{"messages":[{"code":"`+testCode+`","text":"Seu código Zupy: `+testCode+`"}]}`)
		default:
			reply(w, 401, `{"error":"authentication_failed","message":"Invalid or expired API key `+testKey+`"}`)
		}
	}, func(o *Options) { o.Debug = &trace; o.Retries = 0 })
	ctx := context.Background()
	if _, _, err := f.client.VerifyOTP(ctx, OTPVerifyRequest{VerificationID: "ver_1", Code: testCode}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.client.CreateKey(ctx, testSession, CreateKeyRequest{Name: "n", Permissions: []string{"loyalty:read"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.client.Outbox(ctx, ""); err != nil {
		t.Fatal(err)
	}
	_, _, _ = f.client.Verify(ctx, testKey, nil, true)

	out := trace.String()
	for _, want := range []string{
		"> POST " + f.srv.URL + "/v1/auth/otp/verify",
		"> GET " + f.srv.URL + "/v1/auth/verify",
		"< HTTP/1.1 200 OK",
		"< HTTP/1.1 201 Created",
		"< HTTP/1.1 401 Unauthorized",
		"> Authorization: Bearer [REDACTED]",
		"> User-Agent: zupy/test",
		"< X-Ratelimit-Remaining: 119",
		`"verification_id":"ver_1"`,
		`"key_id":"key_x"`,
		`"name":"Demo"`,
		"authentication_failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
	for _, secret := range []string{testKey, testKey2, testSession, testCode, "AbCdEfGhIjKlMnOpQrSt", "0123456789abcdefghij"} {
		if strings.Contains(out, secret) {
			t.Errorf("trace contains secret %q", secret)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log(out)
	}
}

func TestDebugTraceOfNetworkErrorRedactsToken(t *testing.T) {
	var trace strings.Builder
	c := New(Options{BaseURL: closedServerURL(t), Debug: &trace})
	_, _, err := c.Session(context.Background(), testSession)
	var netErr *NetworkError
	if !errors.As(err, &netErr) {
		t.Fatal(err)
	}
	if out := trace.String(); !strings.Contains(out, "> GET ") || !strings.Contains(out, "! ") || strings.Contains(out, testSession) {
		t.Fatalf("trace:\n%s", out)
	}
}

func TestDoDecodesIntoRawMessage(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"program":{"name":"Demo"}}`) })
	var raw json.RawMessage
	resp, err := f.client.Do(context.Background(), Request{Path: "/loyalty/program", Token: testKey}, &raw)
	if err != nil || string(raw) != `{"program":{"name":"Demo"}}` || string(resp.Body) != string(raw) {
		t.Fatalf("raw = %s, err %v", raw, err)
	}
	if resp.Latency <= 0 {
		t.Fatalf("latency not measured: %v", resp.Latency)
	}
}

func TestCallsReturnTheServerDate(t *testing.T) {
	date := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date.Format(http.TimeFormat))
		switch r.URL.Path {
		case "/v1/auth/otp":
			reply(w, 202, `{"verification_id":"ver_1","channel":"email","destination_hint":"d***@example.com","expires_at":"2031-02-03T04:15:06Z","resend_after":"2031-02-03T04:06:06Z"}`)
		default:
			reply(w, 200, `{"partner":{"id":"p"},"created_at":"2031-02-03T04:00:00Z","expires_at":"2031-02-04T04:00:00Z"}`)
		}
	})
	ctx := context.Background()
	ch, resp, err := f.client.RequestOTP(ctx, OTPRequest{Channel: "email", Destination: "dev@example.com"}, true)
	if err != nil || ch.VerificationID != "ver_1" || !resp.Date.Equal(date) {
		t.Fatalf("RequestOTP = %+v, %+v, %v", ch, resp, err)
	}
	s, resp, err := f.client.Session(ctx, testSession)
	if err != nil || s.Partner.ID != "p" || !resp.Date.Equal(date) {
		t.Fatalf("Session = %+v, %+v, %v", s, resp, err)
	}
}

func TestRawSendsExtraHeadersButNeverReplacesAuthorization(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 404, `{"error":"not_found","message":"nope"}`) })
	resp, err := f.client.Raw(context.Background(), Request{
		Method: "PUT", Path: "/anything?x=1", Token: testKey, Body: []byte("plain"),
		Header: http.Header{"Content-Type": {"text/plain"}, "X-Trace": {"a"}, "Authorization": {"Bearer other"}},
	})
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Kind() != KindNotFound || resp == nil || resp.Status != 404 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	got := f.rec.all()[0]
	if got.Method != "PUT" || got.Path != "/v1/anything" || got.RawQuery != "x=1" || string(got.Body) != "plain" {
		t.Fatalf("sent %+v", got)
	}
	if got.Header.Get("Content-Type") != "text/plain" || got.Header.Get("X-Trace") != "a" {
		t.Fatalf("headers %v", got.Header)
	}
	if a := got.Header.Values("Authorization"); len(a) != 1 || a[0] != "Bearer "+testKey {
		t.Fatalf("Authorization = %q", a)
	}
}

func TestBusyWrapsEachAttempt(t *testing.T) {
	var started, ended int
	f := newFixture(t, rateLimited(1, limitBody, "Retry-After", "1"), func(o *Options) {
		o.Busy = func() func() { started++; return func() { ended++ } }
	})
	if _, err := f.client.Do(context.Background(), Request{Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if started != 2 || ended != 2 {
		t.Fatalf("Busy started %d, ended %d; want 2 and 2", started, ended)
	}
}
