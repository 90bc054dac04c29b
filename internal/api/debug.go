package api

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxTraceBody bounds how much of a body the --debug trace shows.
const maxTraceBody = 64 << 10

// trace writes one exchange to Options.Debug, curl -v style: "> " lines for
// the request, "< " lines for the response, every secret redacted.
func (c *Client) trace(token string, req *http.Request, reqBody []byte, res *http.Response, resBody []byte, latency time.Duration, failure error) {
	if c.opts.Debug == nil {
		return
	}
	var r Redactor
	r.Add(token)
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s\n", req.Method, r.String(req.URL.String()))
	writeHeaders(&b, "> ", req.Header, &r)
	writeBody(&b, "> ", reqBody, &r)
	if failure != nil {
		fmt.Fprintf(&b, "! %s (%s)\n", r.String(failure.Error()), roundLatency(latency))
	} else {
		fmt.Fprintf(&b, "< %s %s (%s)\n", res.Proto, res.Status, roundLatency(latency))
		writeHeaders(&b, "< ", res.Header, &r)
		writeBody(&b, "< ", resBody, &r)
	}
	b.WriteString("\n")
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	_, _ = io.WriteString(c.opts.Debug, b.String())
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header, r *Redactor) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, name, r.Header(name, v))
		}
	}
}

func writeBody(b *strings.Builder, prefix string, body []byte, r *Redactor) {
	if len(body) == 0 {
		return
	}
	text := string(r.Body(body)) // whole, so a cut cannot hide a secret member
	extra := 0
	if len(text) > maxTraceBody {
		// Redact again: dropping the bytes of a cut rune may join a key.
		text, extra = redactString(strings.ToValidUTF8(text[:maxTraceBody], "")), len(text)-maxTraceBody
	}
	b.WriteString(prefix + "\n")
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	if extra > 0 {
		fmt.Fprintf(b, "%s… (%d more bytes)\n", prefix, extra)
	}
}

// roundLatency keeps two or three significant digits: 0.42ms, 12ms.
func roundLatency(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
