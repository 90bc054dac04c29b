package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Secrets used by the tests; none may appear in a debug trace.
const (
	testKey     = "zup_live_sk_AbCdEfGhIjKlMnOpQrSt"                  // zupy:allow
	testKey2    = "zup_test_sk_ZyXwVuTsRqPoNmLkJiHg"                  // zupy:allow
	testSession = "zup_sess_0123456789abcdefghijABCDEFGHIJ0123456789" // zupy:allow
	testCode    = "482913"
)

// recorder notes each request the test server saw.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

func (r *recorder) add(req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.URL.RawPath, req.URL.RawQuery, req.Header.Clone(), body})
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// sleeps records the waits the client asked for instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// fixture is a loopback server whose handler the test writes, and a client
// pointed at its /v1 that records its waits.
type fixture struct {
	srv    *httptest.Server
	rec    *recorder
	sleeps *sleeps
	client *Client
}

func newFixture(t *testing.T, h http.HandlerFunc, configure ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{rec: &recorder{}, sleeps: &sleeps{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.rec.add(r)
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	o := Options{
		BaseURL:   f.srv.URL + "/v1",
		UserAgent: "zupy/test",
		Retries:   3,
		Timeout:   5 * time.Second,
		Sleep:     f.sleeps.sleep,
		Jitter:    func() time.Duration { return 0 },
	}
	for _, c := range configure {
		c(&o)
	}
	f.client = New(o)
	return f
}

// reply writes a JSON body with status and headers.
func reply(w http.ResponseWriter, status int, body string, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	if body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// dropResponse keeps a call's value and error, for a table of calls of
// every shape.
func dropResponse[T any](v T, _ *Response, err error) (T, error) { return v, err }
