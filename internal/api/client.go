// Package api is the typed HTTP client of the Zupy authentication API v1
// (docs/api.md): it builds requests, decodes the three error shapes the Zupy docs
// use, retries rate-limited requests as the Zupy guide says, and writes a
// --debug trace with every secret redacted.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// MaxRetryWait is the longest the client waits before one retry (docs/api.md).
const MaxRetryWait = 60 * time.Second

// maxBody bounds how much of a response body the client reads.
const maxBody = 32 << 20

// Options configure a Client. The zero value of every field is usable.
type Options struct {
	BaseURL   string        // e.g. http://127.0.0.1:8790/v1; a trailing slash is removed
	UserAgent string        // "zupy/<version>"
	Retries   int           // how many times a 429 (or a GET's network error) is retried; 0 = never
	Timeout   time.Duration // bound on one attempt, body included; 0 = none
	// Debug receives the HTTP trace, with secrets redacted; nil turns it off.
	Debug io.Writer
	// HTTPClient sends the requests; nil means a client of its own with a
	// clone of http.DefaultTransport.
	HTTPClient *http.Client
	// OnRetry is called before each wait that follows a 429, with the wait,
	// the retry number (1-based) and Retries.
	OnRetry func(wait time.Duration, attempt, max int)
	// OnNetworkRetry is called before each wait that follows a transient
	// failure of a GET: a connection reset, a timeout, or a 502/503/504.
	// Optional.
	OnNetworkRetry func(err error, wait time.Duration, attempt, max int)
	// Busy is called as each attempt starts and returns the function called
	// when it ends: a spinner for calls that take a while. Optional.
	Busy func() (done func())
	// Sleep waits d or until ctx is done; nil means a timer. Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter is added to the exponential backoff; nil means uniform [0, 1s).
	// Its result is clamped to [0, 1s).
	Jitter func() time.Duration
	// Now is the clock used where the server sent no Date; nil means time.Now.
	Now func() time.Time
}

// Client talks to one Zupy API base URL. It is safe for concurrent use.
type Client struct {
	base    string
	opts    Options
	http    *http.Client
	debugMu sync.Mutex
}

// New returns a client for o.BaseURL.
func New(o Options) *Client {
	c := &Client{base: strings.TrimRight(o.BaseURL, "/"), opts: o, http: o.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// The API never redirects. Following one would carry the
			// Authorization header to wherever it points (Go keeps it for
			// the same host on another port or scheme), so a redirect is
			// answered as what it is: an unexpected status.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.opts.UserAgent == "" {
		c.opts.UserAgent = "zupy"
	}
	if c.opts.Retries < 0 {
		c.opts.Retries = 0
	}
	if c.opts.Sleep == nil {
		c.opts.Sleep = Sleep
	}
	if c.opts.Jitter == nil {
		c.opts.Jitter = defaultJitter
	}
	if c.opts.Now == nil {
		c.opts.Now = time.Now
	}
	return c
}

// BaseURL is the base URL requests are sent to, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Origin is the base URL without its trailing "/v1": where the emulator's own
// routes (/_emulator/…) live.
func (c *Client) Origin() string { return strings.TrimSuffix(c.base, "/v1") }

// Request is one API call. Path is relative to the base URL and may carry a
// query string, which is merged with Query. Body is encoded as JSON once, so
// a retry sends the same bytes; a []byte or json.RawMessage is sent as is,
// and a FileBody is streamed from its file, opened again for each attempt.
type Request struct {
	Method  string
	Path    string
	Query   url.Values
	Token   string // sent as "Authorization: Bearer <Token>" when not empty
	Body    any
	NoRetry bool // never retry, not even a 429 (ping reports them)
	// Header holds extra request headers (`zupy api -H`). They cannot
	// replace Authorization, which only Token sets.
	Header http.Header
}

// FileBody is a request body read from a file as it is sent, not held in
// memory (`zupy api --input FILE`). Open is called once per attempt; the
// request carries Size bytes, its Content-Length.
type FileBody struct {
	Open func() (io.ReadCloser, error)
	Size int64
}

// Response is what the server answered.
type Response struct {
	Status    int
	Header    http.Header
	Body      []byte
	Date      time.Time // the server's Date header; zero if absent
	Latency   time.Duration
	RateLimit RateLimitHeaders
}

// ServerNow is the time on the server's clock when it answered: its Date
// header, else local (no answer, or no Date). Relative times ("in 3 days")
// are counted from it, so a server whose clock differs from this machine's
// (the emulator's can be moved) is described on its own terms.
func (r *Response) ServerNow(local time.Time) time.Time {
	if r == nil || r.Date.IsZero() {
		return local
	}
	return r.Date
}

// Do sends r, retrying as docs/api.md#how-the-zupy-client-speaks-this-contract says, and decodes a 2xx JSON body into out
// when out is not nil. A non-2xx answer is an *Error, a transport failure a
// *NetworkError. The Response of the last attempt is returned whenever the
// server answered, also with an error.
func (c *Client) Do(ctx context.Context, r Request, out any) (*Response, error) {
	return c.do(ctx, c.base, r, out)
}

func (c *Client) do(ctx context.Context, base string, r Request, out any) (*Response, error) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	target, err := buildURL(base, r.Path, r.Query)
	if err != nil {
		return nil, err
	}
	var body []byte
	file, streamed := r.Body.(*FileBody)
	if !streamed {
		body, err = encodeBody(r.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s %s request: %w", r.Method, r.Path, err)
	}
	retries := c.opts.Retries
	if r.NoRetry {
		retries = 0
	}
	for retry := 0; ; retry++ {
		resp, err := c.attempt(ctx, r, target, body, file)
		if err != nil {
			var netErr *NetworkError
			if errors.As(err, &netErr) && !netErr.Permanent && r.Method == http.MethodGet && retry < retries && ctx.Err() == nil {
				wait := c.backoff(retry)
				if c.opts.OnNetworkRetry != nil {
					c.opts.OnNetworkRetry(err, wait, retry+1, retries)
				}
				if err := c.opts.Sleep(ctx, wait); err != nil {
					return nil, &NetworkError{Op: r.Method, URL: safeURL(target), Err: err}
				}
				continue
			}
			return resp, err
		}
		if resp.Status >= 200 && resp.Status < 300 {
			if out != nil && resp.Status != http.StatusNoContent {
				if err := json.Unmarshal(resp.Body, out); err != nil {
					return resp, invalidResponse(resp, r)
				}
			}
			return resp, nil
		}
		apiErr := decodeError(resp)
		if transientStatus(resp.Status) && r.Method == http.MethodGet && retry < retries {
			// A gateway or an overloaded server: heals in seconds, and a GET
			// is safe to send again.
			wait, futile := c.rateLimitWait(resp, apiErr, retry)
			if futile {
				return resp, apiErr
			}
			if c.opts.OnNetworkRetry != nil {
				c.opts.OnNetworkRetry(fmt.Errorf("server answered %d %s", resp.Status, http.StatusText(resp.Status)), wait, retry+1, retries)
			}
			if err := c.opts.Sleep(ctx, wait); err != nil {
				return resp, &NetworkError{Op: r.Method, URL: safeURL(target), Err: err}
			}
			continue
		}
		if resp.Status != http.StatusTooManyRequests || retry >= retries {
			return resp, apiErr
		}
		wait, futile := c.rateLimitWait(resp, apiErr, retry)
		if futile {
			// The server says no request will be admitted within the longest
			// wait we allow: waiting would only delay the same answer.
			return resp, apiErr
		}
		if c.opts.OnRetry != nil {
			c.opts.OnRetry(wait, retry+1, retries)
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return resp, &NetworkError{Op: r.Method, URL: safeURL(target), Err: err}
		}
	}
}

// Raw sends r as given and returns the answer whatever its status, with an
// *Error for a non-2xx one: the one method that reaches any path, for `zupy
// api`. It retries as Do does.
func (c *Client) Raw(ctx context.Context, r Request) (*Response, error) {
	return c.do(ctx, c.base, r, nil)
}

// transientStatus is a status a GET is retried on: a gateway that could not
// reach the server, or a server that is briefly unavailable.
func transientStatus(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// attempt sends the request once, bounded by Options.Timeout, and reads the
// whole body.
func (c *Client) attempt(ctx context.Context, r Request, target string, body []byte, file *FileBody) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, &NetworkError{Op: r.Method, URL: safeURL(target), Err: err}
	}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.opts.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
	}
	defer cancel()

	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	if file != nil {
		rc, err := file.Open()
		if err != nil {
			return nil, fmt.Errorf("read the request body: %w", err)
		}
		defer rc.Close()
		// Exactly Size bytes: a file that grew since it was measured
		// would otherwise outrun its Content-Length.
		reader = io.LimitReader(rc, file.Size)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, target, reader)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %s", r.Method, redactString(err.Error()))
	}
	if file != nil {
		req.ContentLength = file.Size
		if file.Size == 0 {
			req.Body = http.NoBody
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if body != nil || file != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, values := range r.Header {
		if http.CanonicalHeaderKey(name) == "Authorization" {
			continue
		}
		// A header that cannot be written is the caller's mistake, found
		// here rather than by the transport, whose error would read (and
		// be retried) as a network failure.
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, fmt.Errorf("build %s request: invalid header name %q", r.Method, name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, fmt.Errorf("build %s request: invalid value of header %s", r.Method, name)
			}
		}
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}

	done := func() {}
	if c.opts.Busy != nil {
		done = c.opts.Busy()
	}
	start := time.Now()
	res, err := c.http.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(res.Body, maxBody+1))
		res.Body.Close()
		if err == nil && len(data) > maxBody {
			err = fmt.Errorf("response body larger than %d bytes", maxBody)
		}
	}
	latency := time.Since(start)
	done() // the spinner is gone before the trace is written
	if file != nil {
		body = fmt.Appendf(nil, "(%d bytes streamed from a file, not shown)", file.Size)
	}
	if err != nil {
		netErr := c.networkError(ctx, actx, r.Method, target, err)
		c.trace(r.Token, req, body, nil, nil, latency, netErr)
		return nil, netErr
	}
	resp := &Response{
		Status:  res.StatusCode,
		Header:  res.Header,
		Body:    data,
		Latency: latency,
	}
	if d := res.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			resp.Date = t
		}
	}
	resp.RateLimit = parseRateLimit(res.Header, resp.Date, c.opts.Now)
	c.trace(r.Token, req, body, res, data, latency, nil)
	return resp, nil
}

// networkError wraps a transport failure, telling a per-attempt timeout
// apart from the caller's cancellation.
func (c *Client) networkError(ctx, actx context.Context, method, target string, err error) *NetworkError {
	ne := &NetworkError{Op: method, URL: safeURL(target)}
	switch {
	case ctx.Err() != nil:
		ne.Err = ctx.Err()
	case actx.Err() == context.DeadlineExceeded:
		ne.Err = &timeoutError{after: c.opts.Timeout}
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query included
		}
		ne.Err = err
		ne.Cause, ne.Permanent = classifyTransport(err, hostOf(target))
	}
	return ne
}

// backoff is the exponential wait before retry number retry (0-based):
// 1 s, 2 s, 4 s… plus jitter, at most MaxRetryWait.
func (c *Client) backoff(retry int) time.Duration {
	if retry >= 6 {
		return MaxRetryWait
	}
	j := c.opts.Jitter()
	if j < 0 {
		j = 0
	}
	if j >= time.Second {
		j = time.Second - 1
	}
	return min(time.Duration(1<<retry)*time.Second+j, MaxRetryWait)
}

// rateLimitWait is how long to wait after a 429, from the first source that
// gives one: Retry-After, details.retry_after, X-RateLimit-Reset minus the
// server's Date, then the exponential backoff. futile reports a wait named by
// the server that is longer than MaxRetryWait: a retry after the capped wait
// would be refused again.
func (c *Client) rateLimitWait(resp *Response, apiErr *Error, retry int) (wait time.Duration, futile bool) {
	var ok bool
	wait, ok = parseRetryAfter(resp.Header.Get("Retry-After"), resp.Date, c.opts.Now)
	if !ok {
		wait, ok = detailSeconds(apiErr.Details, "retry_after")
	}
	if !ok && !resp.RateLimit.Reset.IsZero() && !resp.Date.IsZero() {
		wait = resp.RateLimit.Reset.Sub(resp.Date)
		ok = wait > 0
	}
	if !ok {
		return c.backoff(retry), false
	}
	if wait > MaxRetryWait {
		return MaxRetryWait, true
	}
	return max(wait, 0), false
}

func encodeBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	return json.Marshal(body)
}

// buildURL joins base and path, merging a query string in path with q.
func buildURL(base, path string, q url.Values) (string, error) {
	path, rawQuery, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	values := url.Values{}
	if rawQuery != "" {
		parsed, err := url.ParseQuery(rawQuery)
		if err != nil {
			return "", fmt.Errorf("invalid query in %q: %w", path, err)
		}
		values = parsed
	}
	for k, vs := range q {
		values[k] = append(values[k], vs...)
	}
	target := base + path
	if len(values) > 0 {
		target += "?" + values.Encode()
	}
	return target, nil
}

// Sleep waits d, or until ctx is done, whichever comes first; it is the
// default wait between retries and is shared with commands that wait as a
// server says (ping --wait).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func defaultJitter() time.Duration { return rand.N(time.Second) }
