package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// The live dashboard at /_emulator/ui/: a page (plain HTML, CSS and a little
// JavaScript, embedded, no build step, nothing fetched from elsewhere) that
// reads GET /_emulator/ui/state, listens to GET /_emulator/ui/events (Server-
// Sent Events) and drives the clock and reset through the same JSON routes
// as the CLI. Every route goes through the server's own request guard
// (Host, Origin, Content-Type), as every other route does.

// DashboardPath is where the dashboard is served.
const DashboardPath = "/_emulator/ui/"

//go:embed ui/index.html ui/app.js ui/style.css
var uiFiles embed.FS

// uiAsset is one embedded file and its content type.
type uiAsset struct {
	name, contentType string
}

var uiAssets = map[string]uiAsset{
	"":          {"ui/index.html", "text/html; charset=utf-8"},
	"app.js":    {"ui/app.js", "text/javascript; charset=utf-8"},
	"style.css": {"ui/style.css", "text/css; charset=utf-8"},
}

// Limits of the dashboard's state.
const (
	dashboardAuditEvents = 200
	// sseWriteTimeout bounds each write of an event stream: a client that
	// does not read for this long is dropped.
	sseWriteTimeout = 10 * time.Second
	// sseHeartbeat is how often an idle stream sends a comment, so that a
	// dead client is noticed and proxies keep the stream open.
	sseHeartbeat = 15 * time.Second
)

// errUnavailable answers a stream asked for while the server shuts down.
var errUnavailable = errorf(http.StatusServiceUnavailable, "unavailable", wire.ErrShuttingDown, "The emulator is shutting down")

// errStreamsFull answers a stream asked for beyond DefaultMaxStreams: the API
// keeps its connections, the extra dashboard waits (it reconnects by itself).
var errStreamsFull = func() *apiError {
	e := errorf(http.StatusServiceUnavailable, "unavailable", wire.ErrTooManyStreams,
		fmt.Sprintf("Too many dashboard event streams are open (at most %d): close a dashboard tab", DefaultMaxStreams))
	e.Header = map[string]string{"Retry-After": "5"}
	return e
}()

// dashboardRoutes registers the dashboard's routes on m.
func (s *Server) dashboardRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /_emulator/ui", s.handleUIAsset)
	m.HandleFunc("GET /_emulator/ui/{$}", s.handleUIAsset)
	m.HandleFunc("GET /_emulator/ui/{file}", s.handleUIAsset)
	m.HandleFunc("GET /_emulator/ui/state", s.handleUIState)
	m.HandleFunc("GET /_emulator/ui/usage", s.handleUIUsage)
	m.HandleFunc("GET /_emulator/ui/events", s.handleUIEvents)
}

// setPageHeaders forbids framing (the page has a reset button), inline
// script and anything fetched from another origin.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (s *Server) handleUIAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := uiAssets[r.PathValue("file")]
	if !ok {
		s.writeError(w, r, errNotFoundRoute)
		return
	}
	b, err := uiFiles.ReadFile(a.name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setPageHeaders(w.Header())
	w.Header().Set("Content-Type", a.contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) handleUIState(w http.ResponseWriter, r *http.Request) {
	st, err := s.dashboardState(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) dashboardState(r *http.Request) (wire.DashboardState, error) {
	ctx := r.Context()
	partners, err := s.store.Partners(ctx)
	if err != nil {
		return wire.DashboardState{}, err
	}
	q, err := parseQuery(r, "keys")
	if err != nil {
		return wire.DashboardState{}, err
	}
	shown := wire.DefaultPageLimit
	if v := q.Get("keys"); v != "" {
		if shown, err = strconv.Atoi(v); err != nil || shown < 1 {
			return wire.DashboardState{}, validation("keys", "must be a whole number of at least 1")
		}
	}
	keys, err := s.usage.reading(func() ([]store.Key, error) { return s.store.AllKeys(ctx) })
	if err != nil {
		return wire.DashboardState{}, err
	}
	total := len(keys)
	keys = keys[:min(shown, len(keys))] // the table pages: the newest first
	audit, err := s.store.RecentAuditEvents(ctx, dashboardAuditEvents)
	if err != nil {
		return wire.DashboardState{}, err
	}
	now := s.clock.Now()
	st := wire.DashboardState{Now: now.UTC(), KeysTotal: total, Partners: []wire.DashboardPartner{}, Outbox: []wire.DashboardMessage{},
		Keys: []wire.DashboardKey{}, Lineages: []wire.DashboardLineage{}, Audit: []wire.DashboardAudit{}}
	for _, p := range partners {
		st.Partners = append(st.Partners, wire.DashboardPartner{ID: p.ID, Name: p.Name, Email: p.Email, WhatsApp: p.WhatsApp, CreatedAt: p.CreatedAt})
	}
	box := s.outbox.list("", now)
	for _, m := range box.Messages {
		ch := contact.Channel(m.Channel)
		st.Outbox = append(st.Outbox, wire.DashboardMessage{Channel: m.Channel, DestinationHint: contact.Mask(ch, m.Destination),
			Code: m.Code, SentAt: m.SentAt.UTC(), ExpiresAt: m.ExpiresAt.UTC(), Used: m.Status == wire.OTPUsed})
	}
	// Codes asked for addresses no partner has: the API does not say so,
	// the dashboard does.
	for _, u := range box.Undelivered {
		st.Outbox = append(st.Outbox, wire.DashboardMessage{Channel: u.Channel, DestinationHint: contact.Mask(contact.Channel(u.Channel), u.Destination),
			SentAt: u.RequestedAt.UTC(), ExpiresAt: u.RequestedAt.UTC(), Note: u.Reason})
	}
	slices.SortStableFunc(st.Outbox, func(a, b wire.DashboardMessage) int { return b.SentAt.Compare(a.SentAt) }) // newest first
	lineages := map[string]*wire.DashboardLineage{}
	var order []string
	for _, k := range keys { // newest first
		status := keyStatus(k, now)
		st.Keys = append(st.Keys, wire.DashboardKey{KeyID: k.ID, PartnerID: k.PartnerID, LineageID: k.LineageID, Name: k.Name,
			Permissions: nonNil(k.Permissions), RateLimit: k.RateLimit, Environment: k.Environment, IPRestrictions: nonNil(k.IPRestrictions),
			KeyHint: k.KeyHint, Status: status, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: optTime(k.RevokedAt),
			LastUsedAt: optTime(k.LastUsedAt), UsageCount: k.UsageCount, RotatedFrom: k.RotatedFrom, RotatedTo: k.RotatedTo,
			InGrace: k.RotatedTo != "" && status == "active"})
		l := lineages[k.LineageID]
		if l == nil {
			// The newest key of a lineage sets its limit (the limiter uses
			// the limit of the key presented; the newest is the one in use).
			l = &wire.DashboardLineage{LineageID: k.LineageID, Name: k.Name, Limit: k.RateLimit, Status: status}
			lineages[k.LineageID] = l
			order = append(order, k.LineageID)
		}
		l.Chain = append(l.Chain, k.ID)
	}
	for _, id := range order {
		l := lineages[id]
		slices.Reverse(l.Chain) // keys came newest first
		d := s.limiter.Peek("key:"+id, l.Limit)
		l.Remaining = max(d.Remaining, 0)
		l.Used = min(max(l.Limit-l.Remaining, 0), l.Limit)
		l.ResetAt = d.Reset.UTC()
		st.Lineages = append(st.Lineages, *l)
	}
	for _, e := range audit {
		st.Audit = append(st.Audit, wire.DashboardAudit{ID: e.ID, At: e.At, PartnerID: e.PartnerID, Actor: e.Actor, Action: e.Action, KeyID: e.KeyID, Detail: e.Detail})
	}
	return st, nil
}

// handleUIUsage is GET /_emulator/ui/usage?key_id=&since=: the usage of
// any key, as GET /api-keys/{key_id}/usage answers it, for the dashboard's
// chart (which, like the rest of the dashboard, sees every partner's keys).
func (s *Server) handleUIUsage(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "key_id", "since", "bucket")
	if err == nil {
		var win usageWindow
		var k store.Key
		if win, err = parseUsageWindow(q, s.clock.Now(), true); err == nil {
			if !apikey.ValidID(q.Get("key_id")) {
				err = errKeyNotFound
			} else if k, err = s.store.KeyByID(r.Context(), q.Get("key_id")); errors.Is(err, store.ErrNotFound) {
				err = errKeyNotFound
			}
		}
		if err == nil {
			var out wire.KeyUsage
			if out, err = s.keyUsage(r.Context(), k, win); err == nil {
				w.Header().Set("Cache-Control", "no-store")
				writeJSON(w, http.StatusOK, out)
				return
			}
		}
	}
	s.writeError(w, r, err)
}

// handleUIEvents is the dashboard's event stream (text/event-stream): one
// "data: {event}" message per Event, a comment every sseHeartbeat. The
// stream sets its own deadlines through http.ResponseController: none on
// reading (the server's read timeout would otherwise end it) and
// sseWriteTimeout on each write (a client that stops reading is dropped,
// never waited for). It ends when the client goes, or when the server
// shuts down (CloseStreams), so it never holds up a drain.
func (s *Server) handleUIEvents(w http.ResponseWriter, r *http.Request) {
	sub, cancel, err := s.events.subscribe()
	if errors.Is(err, errTooManyStreams) {
		s.writeError(w, r, errStreamsFull)
		return
	}
	if err != nil {
		s.writeError(w, r, errUnavailable)
		return
	}
	defer cancel()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	var buf bytes.Buffer
	write := func() bool {
		if err := rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)); err != nil {
			return false
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		buf.Reset()
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	buf.WriteString("retry: 2000\n: zupy emulator events\n\n")
	if !write() {
		return
	}
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.done:
			return
		case <-beat.C:
			buf.WriteString(": ping\n\n")
		case <-sub.ready:
			for _, e := range sub.take() {
				b, _ := json.Marshal(e) // an Event always marshals
				buf.WriteString("data: ")
				buf.Write(b)
				buf.WriteString("\n\n")
			}
		}
		if !write() {
			return
		}
	}
}

// CloseStreams ends the dashboard's event streams and refuses new ones.
// Call it when shutting the HTTP server down (http.Server.RegisterOnShutdown),
// so that open dashboards do not hold up the drain; Close calls it too.
func (s *Server) CloseStreams() { s.events.close() }

// publish tells the dashboard what happened; it never blocks.
func (s *Server) publish(e Event) {
	if s.events.n.Load() == 0 {
		return
	}
	if e.At.IsZero() {
		e.At = s.clock.Now().UTC()
	}
	s.events.publish(e)
}
