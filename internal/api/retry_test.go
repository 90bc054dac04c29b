package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var serverDate = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rateLimited answers 429 to the first n requests, then 200 {}.
func rateLimited(n int, body string, headers ...string) http.HandlerFunc {
	var count atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(count.Add(1)) <= n {
			reply(w, 429, body, headers...)
			return
		}
		reply(w, 200, `{}`)
	}
}

const limitBody = `{"error":"rate_limit_exceeded","message":"Request rate limit exceeded","details":{"limit":100,"window":"60s","retry_after":45}}`

func firstWait(t *testing.T, h http.HandlerFunc, configure ...func(*Options)) time.Duration {
	t.Helper()
	f := newFixture(t, h, configure...)
	if _, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/auth/verify"}, nil); err != nil {
		t.Fatalf("Do: %v", err)
	}
	waits := f.sleeps.all()
	if len(waits) != 1 {
		t.Fatalf("waits = %v, want one", waits)
	}
	return waits[0]
}

func resetHeaders(resetIn time.Duration) []string {
	return []string{
		"Date", serverDate.Format(http.TimeFormat),
		"X-RateLimit-Reset", strconv.FormatInt(serverDate.Add(resetIn).Unix(), 10),
	}
}

func TestRetryWaitPrefersRetryAfterHeader(t *testing.T) {
	h := append(resetHeaders(30*time.Second), "Retry-After", "7")
	if got := firstWait(t, rateLimited(1, limitBody, h...)); got != 7*time.Second {
		t.Fatalf("wait = %v, want 7s from Retry-After", got)
	}
}

func TestRetryWaitAcceptsRetryAfterHTTPDate(t *testing.T) {
	h := append(resetHeaders(30*time.Second), "Retry-After", serverDate.Add(12*time.Second).Format(http.TimeFormat))
	if got := firstWait(t, rateLimited(1, limitBody, h...)); got != 12*time.Second {
		t.Fatalf("wait = %v, want 12s (HTTP date minus Date)", got)
	}
}

func TestRetryWaitUsesDetailsRetryAfterWithoutHeader(t *testing.T) {
	if got := firstWait(t, rateLimited(1, limitBody, resetHeaders(30*time.Second)...)); got != 45*time.Second {
		t.Fatalf("wait = %v, want 45s from details.retry_after", got)
	}
}

func TestRetryWaitUsesResetMinusDateWithoutRetryAfter(t *testing.T) {
	body := `{"error":"rate_limit_exceeded","message":"Request rate limit exceeded","details":{"limit":100}}`
	if got := firstWait(t, rateLimited(1, body, resetHeaders(30*time.Second)...)); got != 30*time.Second {
		t.Fatalf("wait = %v, want 30s from X-RateLimit-Reset minus Date", got)
	}
}

func TestRetryWaitIgnoresResetInThePastOrWithoutDate(t *testing.T) {
	body := `{"error":"rate_limit_exceeded","message":"m"}`
	jitter := func(o *Options) { o.Jitter = func() time.Duration { return 300 * time.Millisecond } }
	if got := firstWait(t, rateLimited(1, body, resetHeaders(-5*time.Second)...), jitter); got != 1300*time.Millisecond {
		t.Fatalf("past reset: wait = %v, want backoff 1.3s", got)
	}
	limited := rateLimited(1, body, "X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	noDate := func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // suppress the server's automatic Date
		limited(w, r)
	}
	if got := firstWait(t, noDate, jitter); got != 1300*time.Millisecond {
		t.Fatalf("no Date: wait = %v, want backoff 1.3s", got)
	}
}

func TestRetryWaitFallsBackToExponentialBackoffWithJitter(t *testing.T) {
	f := newFixture(t, rateLimited(3, `{"error":"rate_limit_exceeded","message":"m"}`), func(o *Options) {
		o.Jitter = func() time.Duration { return 250 * time.Millisecond }
	})
	if _, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{1250 * time.Millisecond, 2250 * time.Millisecond, 4250 * time.Millisecond}
	if got := f.sleeps.all(); !slices.Equal(got, want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
}

func TestRetryWaitNeverExceeds60Seconds(t *testing.T) {
	if got := firstWait(t, rateLimited(1, limitBody, "Retry-After", "60")); got != MaxRetryWait {
		t.Fatalf("Retry-After 60: wait = %v, want 60s", got)
	}
	// A server wait beyond the cap is not waited out at all: a retry after
	// 60 s would be refused again, so the 429 is answered at once.
	body := `{"error":"rate_limit_exceeded","message":"m","details":{"retry_after":3600}}`
	for name, h := range map[string]http.HandlerFunc{
		"Retry-After 300":     rateLimited(1, limitBody, "Retry-After", "300"),
		"details retry_after": rateLimited(1, body),
	} {
		f := newFixture(t, h)
		_, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/auth/verify"}, nil)
		if apiErr, ok := err.(*Error); !ok || apiErr.Kind() != KindRateLimited {
			t.Errorf("%s: err = %v, want the 429 at once", name, err)
		}
		if waits := f.sleeps.all(); len(waits) != 0 {
			t.Errorf("%s: waited %v for a retry the server said would fail", name, waits)
		}
		if n := len(f.rec.all()); n != 1 {
			t.Errorf("%s: %d requests, want 1", name, n)
		}
	}
	c := New(Options{Jitter: func() time.Duration { return 900 * time.Millisecond }})
	for retry, want := range []time.Duration{1900 * time.Millisecond, 2900 * time.Millisecond, 4900 * time.Millisecond,
		8900 * time.Millisecond, 16900 * time.Millisecond, 32900 * time.Millisecond, MaxRetryWait, MaxRetryWait, MaxRetryWait} {
		if got := c.backoff(retry); got != want {
			t.Errorf("backoff(%d) = %v, want %v", retry, got, want)
		}
	}
	if got := c.backoff(100); got != MaxRetryWait {
		t.Errorf("backoff(100) = %v", got)
	}
}

func TestJitterStaysWithinOneSecond(t *testing.T) {
	for range 10000 {
		if j := defaultJitter(); j < 0 || j >= time.Second {
			t.Fatalf("default jitter %v outside [0, 1s)", j)
		}
	}
	high := New(Options{Jitter: func() time.Duration { return 5 * time.Second }})
	if got := high.backoff(0); got >= 2*time.Second || got < time.Second {
		t.Fatalf("jitter of 5s not clamped: %v", got)
	}
	low := New(Options{Jitter: func() time.Duration { return -time.Second }})
	if got := low.backoff(0); got != time.Second {
		t.Fatalf("negative jitter not clamped: %v", got)
	}
}

func TestRetriesExhaustedReturnRateLimitErrorAfterRetriesPlusOneAttempts(t *testing.T) {
	f := newFixture(t, rateLimited(100, limitBody, "Retry-After", "2"))
	_, err := f.client.Do(context.Background(), Request{Method: "POST", Path: "/api-keys", Body: map[string]string{"name": "n"}}, nil)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || apiErr.Kind() != KindRateLimited {
		t.Fatalf("err = %v, want the 429 error with exit 5", err)
	}
	if n := len(f.rec.all()); n != 4 {
		t.Fatalf("attempts = %d, want 4 (1 + 3 retries)", n)
	}
	if got := f.sleeps.all(); !slices.Equal(got, []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}) {
		t.Fatalf("waits = %v", got)
	}
}

func TestOnRetryCalledBeforeEachWaitWithAttemptAndMax(t *testing.T) {
	type call struct {
		wait     time.Duration
		attempt  int
		max      int
		sleptYet int
	}
	var calls []call
	var f *fixture
	f = newFixture(t, rateLimited(2, limitBody, "Retry-After", "42"), func(o *Options) {
		o.OnRetry = func(wait time.Duration, attempt, max int) {
			calls = append(calls, call{wait, attempt, max, len(f.sleeps.all())})
		}
	})
	if _, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []call{{42 * time.Second, 1, 3, 0}, {42 * time.Second, 2, 3, 1}}
	if !slices.Equal(calls, want) {
		t.Fatalf("OnRetry calls = %+v, want %+v", calls, want)
	}
}

func TestNoRetryOnServerOrAuthErrors(t *testing.T) {
	for _, status := range []int{500, 401, 403, 404, 409, 400, 501} {
		f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, status, "", "Retry-After", "1") })
		_, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil)
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status != status {
			t.Fatalf("%d: err = %v", status, err)
		}
		if n := len(f.rec.all()); n != 1 {
			t.Fatalf("%d: attempts = %d, want 1", status, n)
		}
		if len(f.sleeps.all()) != 0 {
			t.Fatalf("%d: slept", status)
		}
	}
}

func TestNoRetryDisablesRateLimitRetries(t *testing.T) {
	called := false
	f := newFixture(t, rateLimited(1, limitBody, "Retry-After", "3", "X-RateLimit-Remaining", "0"), func(o *Options) {
		o.OnRetry = func(time.Duration, int, int) { called = true }
	})
	resp, err := f.client.Do(context.Background(), Request{Method: "GET", Path: "/auth/verify", NoRetry: true}, nil)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Kind() != KindRateLimited {
		t.Fatalf("err = %v", err)
	}
	if len(f.rec.all()) != 1 || called || len(f.sleeps.all()) != 0 {
		t.Fatalf("retried: attempts %d, OnRetry %v, waits %v", len(f.rec.all()), called, f.sleeps.all())
	}
	if resp == nil || resp.RateLimit.RetryAfter != 3*time.Second || !resp.RateLimit.Present {
		t.Fatalf("response not returned with its headers: %+v", resp)
	}
}

func TestRetryResendsIdenticalBody(t *testing.T) {
	f := newFixture(t, rateLimited(2, limitBody, "Retry-After", "1"))
	req := CreateKeyRequest{Name: "pos", Permissions: []string{"customer:read", "loyalty:read"}}
	var out map[string]any
	if _, err := f.client.Do(context.Background(), Request{Method: "POST", Path: "/api-keys", Token: testSession, Body: req}, &out); err != nil {
		t.Fatal(err)
	}
	reqs := f.rec.all()
	if len(reqs) != 3 {
		t.Fatalf("attempts = %d", len(reqs))
	}
	want := `{"name":"pos","permissions":["customer:read","loyalty:read"]}`
	for i, r := range reqs {
		if string(r.Body) != want || r.Header.Get("Authorization") != "Bearer "+testSession {
			t.Fatalf("attempt %d sent %q with %q", i, r.Body, r.Header.Get("Authorization"))
		}
	}
}

// countingTransport counts round trips before handing them on.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func closedServerURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// hangUpURL is a loopback server that accepts each connection and closes it
// at once, without an answer: a transient failure.
func hangUpURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestTransientNetworkErrorRetriedForGetOnly(t *testing.T) {
	base := hangUpURL(t) + "/v1"
	for _, tc := range []struct {
		method   string
		attempts int32
	}{{"GET", 4}, {"POST", 1}, {"DELETE", 1}, {"PATCH", 1}} {
		transport := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
		s := &sleeps{}
		var notified []int
		c := New(Options{BaseURL: base, Retries: 3, HTTPClient: &http.Client{Transport: transport}, Sleep: s.sleep,
			Jitter:         func() time.Duration { return 0 },
			OnNetworkRetry: func(err error, wait time.Duration, attempt, max int) { notified = append(notified, attempt) },
			OnRetry:        func(time.Duration, int, int) { t.Errorf("OnRetry called for a network error") },
		})
		_, err := c.Do(context.Background(), Request{Method: tc.method, Path: "/auth/session", Body: nilIfGet(tc.method)}, nil)
		var netErr *NetworkError
		if !errors.As(err, &netErr) {
			t.Fatalf("%s: err = %v (%T), want *NetworkError", tc.method, err, err)
		}
		if got := transport.n.Load(); got != tc.attempts {
			t.Fatalf("%s: attempts = %d, want %d", tc.method, got, tc.attempts)
		}
		if tc.method == "GET" {
			if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(s.all(), want) {
				t.Fatalf("GET waits = %v, want %v", s.all(), want)
			}
			if !slices.Equal(notified, []int{1, 2, 3}) {
				t.Fatalf("OnNetworkRetry attempts = %v", notified)
			}
		}
	}
}

func TestRefusedConnectionNeverRetriedAndNamesTheHost(t *testing.T) {
	base := closedServerURL(t)
	transport := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	s := &sleeps{}
	c := New(Options{BaseURL: base + "/v1", Retries: 3, HTTPClient: &http.Client{Transport: transport}, Sleep: s.sleep})
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/api-keys"}, nil)
	var netErr *NetworkError
	if !errors.As(err, &netErr) || !netErr.Permanent {
		t.Fatalf("err = %v, want a permanent NetworkError", err)
	}
	if transport.n.Load() != 1 || len(s.all()) != 0 {
		t.Fatalf("attempts = %d, waits = %v: a refused connection was retried", transport.n.Load(), s.all())
	}
	host := strings.TrimPrefix(base, "http://")
	if !strings.Contains(err.Error(), "connection refused by "+host) {
		t.Fatalf("message %q does not name the host and cause", err)
	}
}

func TestUnknownHostNeverRetried(t *testing.T) {
	s := &sleeps{}
	// .invalid never resolves (RFC 2606); the resolver answers locally.
	c := New(Options{BaseURL: "http://zupy-test.invalid/v1", Retries: 3, Sleep: s.sleep})
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/api-keys"}, nil)
	var netErr *NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("err = %v", err)
	}
	if !netErr.Permanent || len(s.all()) != 0 {
		t.Skipf("resolver answered %v (not a definite unknown host here)", err)
	}
	if !strings.Contains(err.Error(), "unknown host zupy-test.invalid") {
		t.Fatalf("message %q", err)
	}
}

func TestTLSFailureNeverRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // its certificate is trusted by nobody
	defer srv.Close()
	transport := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	s := &sleeps{}
	c := New(Options{BaseURL: srv.URL, Retries: 3, HTTPClient: &http.Client{Transport: transport}, Sleep: s.sleep})
	_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/x"}, nil)
	var netErr *NetworkError
	if !errors.As(err, &netErr) || !netErr.Permanent || transport.n.Load() != 1 {
		t.Fatalf("err = %v, attempts %d", err, transport.n.Load())
	}
	if !strings.Contains(err.Error(), "TLS failure with "+strings.TrimPrefix(srv.URL, "https://")) {
		t.Fatalf("message %q", err)
	}
}

func TestGatewayErrorsRetriedForGetOnly(t *testing.T) {
	for _, status := range []int{502, 503, 504} {
		for _, method := range []string{"GET", "POST"} {
			var n atomic.Int32
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					reply(w, status, "")
					return
				}
				reply(w, 200, `{}`)
			})
			_, err := f.client.Do(context.Background(), Request{Method: method, Path: "/x", Body: nilIfGet(method)}, nil)
			if method == "GET" && (err != nil || n.Load() != 2 || len(f.sleeps.all()) != 1) {
				t.Fatalf("GET %d: err %v, attempts %d, waits %v", status, err, n.Load(), f.sleeps.all())
			}
			if method == "POST" && (err == nil || n.Load() != 1) {
				t.Fatalf("POST %d retried: attempts %d", status, n.Load())
			}
		}
	}
}

func nilIfGet(method string) any {
	if method == "GET" {
		return nil
	}
	return map[string]int{"a": 1}
}

func TestNetworkErrorNotRetriedWithNoRetry(t *testing.T) {
	transport := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
	c := New(Options{BaseURL: closedServerURL(t), Retries: 3, HTTPClient: &http.Client{Transport: transport},
		Sleep: (&sleeps{}).sleep})
	_, _, err := c.Verify(context.Background(), testKey, nil, true)
	var netErr *NetworkError
	if !errors.As(err, &netErr) || transport.n.Load() != 1 {
		t.Fatalf("err = %v, attempts = %d", err, transport.n.Load())
	}
	if bytes.Contains([]byte(err.Error()), []byte(testKey)) {
		t.Fatalf("secret in error: %v", err)
	}
}

func TestCancellationStopsWaitingAtOnce(t *testing.T) {
	srv := httptest.NewServer(rateLimited(100, limitBody, "Retry-After", "50"))
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, Retries: 3}) // real sleep
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Do(ctx, Request{Method: "GET", Path: "/x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var netErr *NetworkError
	if !errors.As(err, &netErr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %#v, want a NetworkError with exit 130", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("kept waiting %v after cancel", elapsed)
	}
}
