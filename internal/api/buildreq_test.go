package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// A request that cannot be written (a header with a line break, a bad name
// or method) is the caller's mistake: nothing is sent, nothing is retried,
// and it is not reported as a network failure.
func TestUnbuildableRequestIsNotANetworkError(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  Request
	}{
		{"header value with a line break", Request{Method: "GET", Path: "/x", Header: http.Header{"X-A": {"b\nc"}}}},
		{"header name with a parenthesis", Request{Method: "GET", Path: "/x", Header: http.Header{"X(A": {"1"}}}},
		{"method with a line break", Request{Method: "G\nET", Path: "/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{}`) })
			_, err := f.client.Raw(context.Background(), tc.req)
			if err == nil {
				t.Fatal("no error")
			}
			var netErr *NetworkError
			if errors.As(err, &netErr) {
				t.Fatalf("reported as a network error: %v", err)
			}
			if n := len(f.rec.all()); n != 0 {
				t.Errorf("server received %d requests, want 0", n)
			}
			if w := f.sleeps.all(); len(w) != 0 {
				t.Errorf("client waited %v to retry", w)
			}
		})
	}
}

// Should the transport itself refuse to write a request, that failure is
// permanent: a retry would fail the same way.
func TestTransportRefusalIsPermanent(t *testing.T) {
	for _, msg := range []string{`net/http: invalid header field value for "X-A"`, `net/http: invalid header field name "X(A"`, "net/http: invalid method \"G\\nET\""} {
		if cause, permanent := classifyTransport(errors.New(msg), "127.0.0.1:1"); !permanent || cause == "" {
			t.Errorf("%s: permanent = %v, cause %q", msg, permanent, cause)
		}
	}
}
