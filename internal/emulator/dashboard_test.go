package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

func TestDashboardServesTheEmbeddedPageWithoutRedirects(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ path, ctype, contains string }{
		{"/_emulator/ui/", "text/html", `<h1>Zupy emulator</h1>`},
		{"/_emulator/ui", "text/html", `<h1>Zupy emulator</h1>`},
		{"/_emulator/ui/app.js", "text/javascript", `new EventSource("/_emulator/ui/events")`},
		{"/_emulator/ui/style.css", "text/css", `prefers-color-scheme: dark`},
	} {
		r := h.request("GET", c.path, "", nil)
		expect(t, r, http.StatusOK)
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, c.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", c.path, got, c.ctype)
		}
		if !strings.Contains(string(r.body), c.contains) {
			t.Errorf("%s: body lacks %q", c.path, c.contains)
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", c.path, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", c.path, r.header.Get("X-Frame-Options"))
		}
	}
	// Nothing is fetched from elsewhere: no absolute URL in the page.
	for _, path := range []string{"/_emulator/ui/", "/_emulator/ui/app.js", "/_emulator/ui/style.css"} {
		if body := string(h.request("GET", path, "", nil).body); strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("%s refers to another origin", path)
		}
	}
	expect(t, h.request("GET", "/_emulator/ui/missing.js", "", nil), http.StatusNotFound, "not_found")
}

func TestNoUITurnsTheDashboardOff(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.NoUI = true })
	for _, path := range []string{"/_emulator/ui/", "/_emulator/ui/state", "/_emulator/ui/events", "/_emulator/ui/app.js"} {
		expect(t, h.request("GET", path, "", nil), http.StatusNotFound, "not_found")
	}
	expect(t, h.request("GET", "/_emulator/outbox", "", nil), http.StatusOK) // the JSON routes stay
}

func (h *harness) dashboardState() (wire.DashboardState, string) {
	h.t.Helper()
	r := h.request("GET", "/_emulator/ui/state", "", nil)
	expect(h.t, r, http.StatusOK)
	var st wire.DashboardState
	r.decode(h.t, &st)
	return st, string(r.body)
}

func TestDashboardStateShowsKeysLineagesAndCodesButNoSecret(t *testing.T) {
	h := newHarness(t)
	session := h.login()
	k := h.createKey(session, map[string]any{"name": "checkout", "rate_limit": 10})
	for range 3 {
		expect(t, h.request("GET", "/v1/auth/verify", h.secrets[len(h.secrets)-1], nil), http.StatusOK)
	}
	r := h.rotate(session, k.KeyID, map[string]any{"grace_period_seconds": 3600})
	expect(t, r, http.StatusCreated)
	var next struct {
		KeyID string `json:"key_id"`
	}
	r.decode(t, &next)

	st, raw := h.dashboardState()
	for _, s := range h.secrets {
		if len(s) > 6 && strings.Contains(raw, s) { // codes (6 digits) are the outbox's purpose
			t.Fatalf("the dashboard state holds a key secret or session token")
		}
	}
	if len(st.Outbox) != 1 || st.Outbox[0].Code != h.secrets[0] || st.Outbox[0].DestinationHint == "dev@example.com" ||
		!strings.HasSuffix(st.Outbox[0].DestinationHint, "@example.com") {
		t.Fatalf("outbox %+v: want the code with a masked destination", st.Outbox)
	}
	if !st.Outbox[0].ExpiresAt.Equal(st.Outbox[0].SentAt.Add(10 * time.Minute)) {
		t.Errorf("an e-mail code's expiry: %+v", st.Outbox[0])
	}
	if len(st.Partners) != 1 || st.Partners[0].Email != "dev@example.com" {
		t.Errorf("partners %+v", st.Partners)
	}
	if len(st.Keys) != 2 || st.Keys[0].KeyID != next.KeyID || st.Keys[1].KeyID != k.KeyID {
		t.Fatalf("keys %+v: want the successor, then the old key", st.Keys)
	}
	old := st.Keys[1]
	if !old.InGrace || old.Status != "active" || old.RotatedTo != next.KeyID || old.UsageCount != 3 || old.LastUsedAt == nil {
		t.Errorf("old key %+v: want active, in grace, rotated to %s, used 3 times", old, next.KeyID)
	}
	if st.Keys[0].InGrace || st.Keys[0].RotatedFrom != k.KeyID {
		t.Errorf("successor %+v", st.Keys[0])
	}
	if len(st.Lineages) != 1 {
		t.Fatalf("lineages %+v", st.Lineages)
	}
	l := st.Lineages[0]
	if !slices.Equal(l.Chain, []string{k.KeyID, next.KeyID}) || l.Limit != 10 || l.Used != 3 || l.Remaining != 7 {
		t.Errorf("lineage %+v: want chain old→new, 3 of 10 used", l)
	}
	var actions []string
	for _, e := range st.Audit {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"key.rotated", "key.created", "login"}) {
		t.Errorf("audit actions %v, want newest first", actions)
	}

	// The grace period ends on the emulator's clock.
	h.advance(3601)
	st, _ = h.dashboardState()
	if st.Keys[1].Status != "expired" || st.Keys[1].InGrace {
		t.Errorf("after the grace period: %+v", st.Keys[1])
	}
}

// sseStream reads the events of GET /_emulator/ui/events.
type sseStream struct {
	t      *testing.T
	body   io.ReadCloser
	events chan Event
}

func (h *harness) openEvents(t *testing.T) *sseStream {
	t.Helper()
	req, err := http.NewRequest("GET", h.ts.URL+"/_emulator/ui/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{t: t, body: res.Body, events: make(chan Event, 1024)}
	sc := bufio.NewScanner(res.Body)
	// The preamble (a retry and a comment) is written after subscribing:
	// once it is read, every later event reaches this stream.
	for sc.Scan() && sc.Text() != "" {
	}
	go func() {
		defer close(s.events)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e Event
				if err := json.Unmarshal([]byte(data), &e); err != nil {
					t.Errorf("event %q: %v", data, err)
					return
				}
				s.events <- e
			}
		}
	}()
	t.Cleanup(func() { res.Body.Close() })
	return s
}

// next waits for the next event other than key.used when skipUsed.
func (s *sseStream) next(skipUsed bool) Event {
	s.t.Helper()
	for {
		select {
		case e, ok := <-s.events:
			if !ok {
				s.t.Fatal("the event stream ended")
			}
			if skipUsed && e.Type == EventKeyUsed {
				continue
			}
			return e
		case <-time.After(10 * time.Second): // a hang bound, not a timing assertion
			s.t.Fatal("no event within 10s")
		}
	}
}

func TestEventStreamTellsWhatHappenedWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	s := h.openEvents(t)
	session := h.login()
	if e := s.next(false); e.Type != EventOTPSent || e.Channel != "email" || e.DestinationHint == "" || strings.Contains(e.DestinationHint, "dev@") {
		t.Fatalf("first event %+v, want otp.sent with a masked destination", e)
	}
	if e := s.next(false); e.Type != EventLogin {
		t.Fatalf("event %+v, want login", e)
	}
	k := h.createKey(session, nil)
	if e := s.next(false); e.Type != EventKeyCreated || e.KeyID != k.KeyID {
		t.Fatalf("event %+v, want key.created %s", e, k.KeyID)
	}
	secret := h.secrets[len(h.secrets)-1]
	expect(t, h.request("GET", "/v1/auth/verify", secret, nil), http.StatusOK)
	e := s.next(false)
	if e.Type != EventKeyUsed || e.KeyID != k.KeyID || e.Count < 1 {
		t.Fatalf("event %+v, want key.used %s", e, k.KeyID)
	}
	expect(t, h.request("PATCH", "/v1/api-keys/"+k.KeyID, session, map[string]any{"name": "renamed"}), http.StatusOK)
	if e := s.next(false); e.Type != EventKeyUpdated || e.KeyID != k.KeyID {
		t.Fatalf("event %+v, want key.updated", e)
	}
	r := h.rotate(session, k.KeyID, map[string]any{"grace_period_seconds": 60})
	expect(t, r, http.StatusCreated)
	var next struct {
		KeyID string `json:"key_id"`
	}
	r.decode(t, &next)
	if e := s.next(false); e.Type != EventKeyRotated || e.KeyID != k.KeyID || e.Successor != next.KeyID {
		t.Fatalf("event %+v, want key.rotated %s → %s", e, k.KeyID, next.KeyID)
	}
	expect(t, h.request("DELETE", "/v1/api-keys/"+next.KeyID, session, nil), http.StatusOK)
	if e := s.next(false); e.Type != EventKeyRevoked || e.KeyID != next.KeyID {
		t.Fatalf("event %+v, want key.revoked", e)
	}
	h.advance(60)
	if e := s.next(false); e.Type != EventClock {
		t.Fatalf("event %+v, want clock", e)
	}
	expect(t, h.request("POST", "/_emulator/reset", "", "{}", "Content-Type", "application/json"), http.StatusNoContent)
	if e := s.next(false); e.Type != EventReset {
		t.Fatalf("event %+v, want reset", e)
	}
}

func TestAStalledSubscriberNeverBlocksPublishing(t *testing.T) {
	hb := newHub()
	defer hb.close()
	stalled, cancel, err := hb.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	// Nobody reads stalled: fanning out far more than its queue holds must
	// return (a blocking fan-out would hang this test).
	for i := range 10 * subscriberQueue {
		hb.fanOut(Event{Type: EventKeyCreated, KeyID: "key_" + string(rune('a'+i%26))})
	}
	got := stalled.take()
	if len(got) != 1 || got[0].Type != EventResync {
		t.Fatalf("a subscriber that fell behind got %d events (first %+v), want one resync", len(got), got[0])
	}
	// After the resync it hears events again.
	hb.fanOut(Event{Type: EventKeyRevoked, KeyID: "key_x"})
	if got := stalled.take(); len(got) != 1 || got[0].Type != EventKeyRevoked {
		t.Fatalf("after a resync: %+v", got)
	}
}

// Issue 21.1: every verification handed its event to every stream inside
// the request (throughput fell from 7.0k/s with no stream to 1.4k/s with
// 300). publish only queues the event for the broadcaster: here the
// subscribers' lock is held throughout, as by a fan-out that takes long,
// and publishing still returns; the events it could not queue become one
// resync for every subscriber.
func TestPublishNeverWaitsForTheSubscribers(t *testing.T) {
	hb := newHub()
	defer hb.close()
	sub, cancel, err := hb.subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	hb.mu.Lock()
	published := make(chan struct{})
	go func() {
		defer close(published)
		for range 2 * publishQueue {
			hb.publish(Event{Type: EventKeyUsed, KeyID: "key_a"})
		}
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second): // a hang bound, not a timing assertion
		hb.mu.Unlock()
		t.Fatal("publish waited for the subscribers' lock")
	}
	hb.mu.Unlock()
	// Once the broadcaster has caught up, an event goes through again. The
	// subscriber first reads what it was given, ending with the resync that
	// covers the dropped events; an event offered before that read is covered
	// by the resync (by design), so the probe is published, again on each
	// tick, only once the resync was read and the broadcaster's queue is
	// empty.
	deadline := time.After(10 * time.Second) // a hang bound, not a timing assertion
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var got []Event
	has := func(typ string) bool { return slices.ContainsFunc(got, func(e Event) bool { return e.Type == typ }) }
	for !has(EventKeyRevoked) {
		select {
		case <-sub.ready:
			got = append(got, sub.take()...)
		case <-tick.C:
			if has(EventResync) && len(hb.in) == 0 {
				hb.publish(Event{Type: EventKeyRevoked, KeyID: "key_b"})
			}
		case <-deadline:
			t.Fatalf("the broadcaster delivered %+v and then nothing", got)
		}
	}
	if !slices.ContainsFunc(got, func(e Event) bool { return e.Type == EventResync }) {
		t.Fatalf("events were dropped without a resync: %+v", got)
	}
}

// BenchmarkPublishWithStreams is the request path's cost of one event with
// 0, 1 and DefaultMaxStreams subscribers draining their queues: one channel
// send, whatever the count (the fan-out runs on the broadcaster; what grows
// with the count is the CPU the broadcaster and the drainers take).
func BenchmarkPublishWithStreams(b *testing.B) {
	for _, n := range []int{0, 1, DefaultMaxStreams} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			hb := newHub()
			defer hb.close()
			for range n {
				sub, cancel, err := hb.subscribe()
				if err != nil {
					b.Fatal(err)
				}
				defer cancel()
				go drain(sub)
			}
			e := Event{Type: EventKeyUsed, KeyID: "key_a"}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					hb.publish(e)
				}
			})
		})
	}
}

func TestKeyUsesCoalesceForASlowSubscriber(t *testing.T) {
	hb := newHub()
	defer hb.close()
	sub, cancel, _ := hb.subscribe()
	defer cancel()
	for range 5000 {
		hb.fanOut(Event{Type: EventKeyUsed, KeyID: "key_a"})
	}
	hb.fanOut(Event{Type: EventKeyCreated, KeyID: "key_b"})
	for range 7 {
		hb.fanOut(Event{Type: EventKeyUsed, KeyID: "key_b"})
	}
	got := sub.take()
	want := []Event{{Type: EventKeyUsed, KeyID: "key_a", Count: 5000}, {Type: EventKeyCreated, KeyID: "key_b"}, {Type: EventKeyUsed, KeyID: "key_b", Count: 7}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].KeyID != want[i].KeyID || got[i].Count != want[i].Count {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// Issue 21.1: each event stream holds a connection while its client does
// not read, so streams filled the connection cap and the API hung. Streams
// have a cap of their own, well below the connection cap: with every stream
// slot taken by clients that never read, verify still answers, and one
// stream more is refused with a JSON 503.
func TestIdleEventStreamsCannotTakeEveryConnection(t *testing.T) {
	h := newHarness(t)
	t.Cleanup(h.srv.CloseStreams)
	session := h.login()
	k := h.createKey(session, nil)
	secret := h.secrets[len(h.secrets)-1]
	// A connection cap a few above the streams' own: without that cap,
	// streams alone would fill it.
	const maxConns = DefaultMaxStreams + 4
	cl, _ := serveOn(t, h.srv, ServeOptions{MaxConns: maxConns})
	addr := cl.Addr().String()
	openStream := func() (net.Conn, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, "GET /_emulator/ui/events HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang bound
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		return c, line
	}
	// The streams' readers read the status line and then nothing more.
	for i := range DefaultMaxStreams {
		if _, line := openStream(); !strings.Contains(line, " 200 ") {
			t.Fatalf("stream %d: %q", i, line)
		}
	}
	c, line := openStream()
	if !strings.Contains(line, " 503 ") {
		t.Fatalf("stream beyond the cap: %q, want 503", line)
	}
	c.Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range maxConns {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/auth/verify", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("verify with every stream slot taken: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), k.KeyID) {
			t.Fatalf("verify: %d %s", res.StatusCode, body)
		}
	}
	// The refusal is the API's JSON error form.
	r := h.request("GET", "/_emulator/ui/events", "", nil)
	expect(t, r, http.StatusServiceUnavailable, "unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("the 503 carries no Retry-After")
	}
}

func TestAClientThatStopsReadingDoesNotSlowTheAPI(t *testing.T) {
	h := newHarness(t)
	// A stream whose reader never reads: its socket buffers fill, and its
	// writer waits on them, never the handlers.
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /_emulator/ui/events HTTP/1.1\r\nHost: "+strings.TrimPrefix(h.ts.URL, "http://")+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stream: %q %v", line, err)
	}
	t.Cleanup(h.srv.CloseStreams)
	session := h.login()
	var keys []string
	for i := range 50 {
		h.createKey(session, map[string]any{"name": "k" + string(rune('a'+i%26))})
		keys = append(keys, h.secrets[len(h.secrets)-1])
	}
	for i := range 2000 {
		expect(t, h.request("GET", "/v1/auth/verify", keys[i%len(keys)], nil), http.StatusOK)
	}
}

func TestEventStreamsOutliveTheWriteTimeoutAndEndOnShutdown(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- h.srv.Serve(ctx, ln, ServeOptions{ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond, DrainTimeout: time.Minute})
	}()
	res, err := http.Get("http://" + ln.Addr().String() + "/_emulator/ui/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	for {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "\n" {
			break
		}
	}
	// Past the server's read and write timeouts, the stream still carries
	// events.
	time.Sleep(300 * time.Millisecond)
	h.srv.publish(Event{Type: EventClock})
	l, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(l, `"type":"clock"`) {
		t.Fatalf("after the write timeout: %q, %v", l, err)
	}
	// A stop ends the stream at once rather than waiting out the drain
	// deadline (a minute here) and cutting it.
	stop()
	if _, err := io.ReadAll(rd); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if strings.Contains(h.logs.String(), "cutting them") {
		t.Fatal("the open stream held the drain until its deadline")
	}
	// A stream asked for after the stop is refused.
	expect(t, h.request("GET", "/_emulator/ui/events", "", nil), http.StatusServiceUnavailable)
}

// BenchmarkVerifyWithDashboardOpen is BenchmarkVerify while a dashboard
// listens: every verification publishes a key.used event to a subscriber
// that drains its queue as the event stream does.
func BenchmarkVerifyWithDashboardOpen(b *testing.B) {
	h := newBenchHarness(b)
	sub, cancel, err := h.srv.events.subscribe()
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	go drain(sub)
	defer h.srv.CloseStreams()
	benchVerify(b, h)
}

func TestDashboardRoutesAnswerOnlyLoopbackHostsAndOrigins(t *testing.T) {
	h := newHarness(t)
	t.Cleanup(h.srv.CloseStreams)
	for _, path := range []string{"/_emulator/ui/", "/_emulator/ui/app.js", "/_emulator/ui/state", "/_emulator/ui/events"} {
		// A page of another origin, a rebound DNS name, Origin: null.
		expect(t, h.request("GET", path, "", nil, "Origin", "http://evil.example"), http.StatusForbidden, "permission_denied")
		expect(t, h.request("GET", path, "", nil, "Origin", "null"), http.StatusForbidden, "permission_denied")
		req, _ := http.NewRequest("GET", h.ts.URL+path, nil)
		req.Host = "evil.example"
		res, err := h.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s with Host evil.example: %d, want 403", path, res.StatusCode)
		}
	}
	// The page's own origin is answered.
	expect(t, h.request("GET", "/_emulator/ui/state", "", nil, "Origin", h.ts.URL), http.StatusOK)
	// The page's actions go through the JSON routes, which refuse a
	// cross-site form (text/plain) and another origin's JSON alike.
	session := h.login()
	h.createKey(session, nil)
	expect(t, h.request("POST", "/_emulator/reset", "", "{}", "Content-Type", "text/plain", "Origin", h.ts.URL), http.StatusUnsupportedMediaType)
	expect(t, h.request("POST", "/_emulator/reset", "", "{}", "Content-Type", "application/json", "Origin", "http://evil.example"), http.StatusForbidden)
	if st, _ := h.dashboardState(); len(st.Keys) != 1 {
		t.Fatal("a refused reset emptied the emulator")
	}
	expect(t, h.request("POST", "/_emulator/reset", "", "{}", "Content-Type", "application/json", "Origin", h.ts.URL), http.StatusNoContent)
}

// The dashboard's key table pages (the newest ?keys= of keys_total), and
// each key's chart reads GET /_emulator/ui/usage.
func TestDashboardPagesItsKeysAndChartsAKey(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	var ids []string
	for range 3 {
		ids = append(ids, h.createKey(sess, nil).KeyID)
	}
	k := h.createKey(sess, map[string]any{"rate_limit": 2})
	for range 3 {
		h.request("GET", "/v1/loyalty/program", k.APIKey, nil)
	}
	var st wire.DashboardState
	r := h.request("GET", "/_emulator/ui/state?keys=2", "", nil)
	expect(t, r, 200)
	r.decode(t, &st)
	if len(st.Keys) != 2 || st.KeysTotal != 4 || st.Keys[0].KeyID != k.KeyID || st.Keys[1].KeyID != ids[2] {
		t.Fatalf("state?keys=2: %d keys of %d", len(st.Keys), st.KeysTotal)
	}
	r = h.request("GET", "/_emulator/ui/state", "", nil)
	r.decode(t, &st)
	if len(st.Keys) != 4 || st.KeysTotal != 4 {
		t.Fatalf("state: %d keys of %d", len(st.Keys), st.KeysTotal)
	}
	expect(t, h.request("GET", "/_emulator/ui/state?keys=0", "", nil), 400, wire.CodeValidation)

	var u wire.KeyUsage
	r = h.request("GET", "/_emulator/ui/usage?since=1h&bucket=minute&key_id="+k.KeyID, "", nil)
	expect(t, r, 200)
	r.decode(t, &u)
	if u.KeyID != k.KeyID || u.Totals.Requests != 3 || u.Totals.OK != 2 || u.Totals.RateLimited != 1 || u.RateLimit != 2 {
		t.Fatalf("usage %+v", u.Totals)
	}
	expect(t, h.request("GET", "/_emulator/ui/usage?key_id=key_000000000000", "", nil), 404, wire.CodeNotFound, wire.MsgKeyNotFound)
	expect(t, h.request("GET", "/_emulator/ui/usage?key_id="+k.KeyID+"&bucket=week", "", nil), 400, wire.CodeValidation)
}

// drain takes what sub is handed until it is cancelled, as the event
// stream does.
func drain(sub *subscriber) {
	for {
		select {
		case <-sub.ready:
			sub.take()
		case <-sub.done:
			return
		}
	}
}
