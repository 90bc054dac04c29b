// Package emulator is the local implementation of the Zupy authentication
// API (docs/api.md): partner OTP login, sessions, API keys with
// scopes, rate limits, IP allow-lists and expiry, key verification, and the
// emulator-only routes under /_emulator. State lives in SQLite
// (internal/emulator/store); secrets are stored only as HMAC hashes.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/ratelimit"
)

// Config configures a Server.
type Config struct {
	DataDir         string // the SQLite file lives here (created 0700); ignored when InMemory
	InMemory        bool
	PartnerName     string // demo partner seeded on first start; default "Demo Partner"
	PartnerEmail    string // default "dev@example.com"
	PartnerWhatsApp string // default "+5511999990000"
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AllowedHosts are the Host names (and browser Origin hosts) answered
	// besides loopback ones, as NormalizeAllowedHost returns them: the names
	// the emulator is reached by when it listens beyond loopback.
	AllowedHosts []string
	// Logger receives the request and event log; nil discards it. It never
	// receives a secret: no key, session token or OTP code.
	Logger *slog.Logger
	// Messages receives every OTP message "sent", in the wording of the real
	// WhatsApp/e-mail message (code included: it stands in for the phone and
	// the mailbox); nil discards them.
	Messages io.Writer
	// Now is the base clock; nil means time.Now. The emulator adds its own
	// offset, moved by POST /_emulator/clock.
	Now func() time.Time
	// NoUI turns the dashboard (/_emulator/ui/) off.
	NoUI bool
	// NoUsageStats turns the per-key usage statistics (docs/api.md
	// "Usage") off: nothing is counted per minute, scope or IP. It exists
	// for `make bench`, which measures what the recording costs
	// (docs/benchmarks.md); usage_count and last_used_at still count.
	NoUsageStats bool
}

// Defaults of the demo partner.
const (
	DefaultPartnerName     = "Demo Partner"
	DefaultPartnerEmail    = "dev@example.com"
	DefaultPartnerWhatsApp = "+5511999990000"
)

// ErrDataDirInUse is matched (errors.Is) by the error of Open on a data
// directory that another emulator holds; the error names its process.
var ErrDataDirInUse = store.ErrLocked

// usageFlushInterval is how often batched key usage is written.
const usageFlushInterval = time.Second

// Server is the emulator. Its handler is safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	clock   *clock
	store   *store.Store
	limiter *ratelimit.Limiter
	keys    *keyCache
	usage   *usageTracker
	stats   *usageStats
	// rolledUp is when (emulator clock, Unix ns) the usage retention last ran.
	rolledUp atomic.Int64
	outbox   *outbox
	loyalty  *loyaltyData
	events   *hub
	trusted  []netip.Prefix
	// allowedHosts: see Config.AllowedHosts; keyRoutes: the patterns of
	// the routes authenticated by an API key.
	allowedHosts map[string]bool
	keyRoutes    map[string]bool
	bounds       otpBounds
	date         dateCache
	mux          *http.ServeMux
	handler      http.Handler
	stop         chan struct{}
	flushed      chan struct{}
	closeOne     sync.Once
	closeErr     error
}

// Open opens (or creates) the emulator's database, seeds the demo partner on
// first start and starts the usage flusher. Close releases it.
func Open(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.PartnerName == "" {
		cfg.PartnerName = DefaultPartnerName
	}
	if cfg.PartnerEmail == "" {
		cfg.PartnerEmail = DefaultPartnerEmail
	}
	if cfg.PartnerWhatsApp == "" {
		cfg.PartnerWhatsApp = DefaultPartnerWhatsApp
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(ctx, store.Options{Dir: cfg.DataDir, InMemory: cfg.InMemory})
	if err != nil {
		return nil, fmt.Errorf("open emulator store: %w", err)
	}
	stored, err := st.LoadClock(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	clk := newClock(cfg.Now, stored)
	s := &Server{
		cfg:          cfg,
		log:          log,
		clock:        clk,
		store:        st,
		limiter:      ratelimit.New(clk.Now),
		keys:         newKeyCache(),
		usage:        newUsageTracker(),
		stats:        newUsageStats(),
		outbox:       newOutbox(cfg.Messages),
		loyalty:      newLoyaltyData(),
		events:       newHub(),
		trusted:      cfg.TrustedProxies,
		allowedHosts: make(map[string]bool),
		bounds:       defaultOTPBounds,
		stop:         make(chan struct{}),
		flushed:      make(chan struct{}),
	}
	for _, h := range cfg.AllowedHosts {
		n, ok := NormalizeAllowedHost(h)
		if !ok {
			st.Close()
			return nil, fmt.Errorf("allowed host %q: not a host name or IP address", h)
		}
		s.allowedHosts[n] = true
	}
	if err := s.seedPartner(ctx); err != nil {
		st.Close()
		return nil, err
	}
	s.routes()
	go s.flushLoop()
	return s, nil
}

// Partners are the partner accounts codes can be sent to (the demo partner,
// normally), for the startup banner.
func (s *Server) Partners(ctx context.Context) ([]store.Partner, error) { return s.store.Partners(ctx) }

// Handler serves /v1/... and /_emulator/....
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the usage flusher, writes the usage still pending and closes
// the database. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOne.Do(func() {
		s.events.close()
		close(s.stop)
		<-s.flushed
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		flushErr := s.flushUsage(ctx)
		clockErr := s.store.SaveClock(ctx, s.clock.state())
		s.closeErr = errors.Join(flushErr, clockErr, s.store.Close())
	})
	return s.closeErr
}

func (s *Server) flushLoop() {
	defer close(s.flushed)
	t := time.NewTicker(usageFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.flushUsage(ctx); err != nil {
				s.log.Error("flush key usage", slog.Any("error", err))
			}
			cancel()
		}
	}
}

// seedPartner adds the configured demo partner unless a partner already uses
// its e-mail or WhatsApp number.
func (s *Server) seedPartner(ctx context.Context) error {
	email, err := contact.NormalizeEmail(s.cfg.PartnerEmail)
	if err != nil {
		return fmt.Errorf("partner e-mail: %w", err)
	}
	wa, err := contact.NormalizeWhatsApp(s.cfg.PartnerWhatsApp)
	if err != nil {
		return fmt.Errorf("partner WhatsApp: %w", err)
	}
	return s.store.Update(ctx, func(tx *store.Tx) error {
		for _, c := range []struct{ channel, value string }{{"email", email}, {"whatsapp", wa}} {
			p, err := tx.PartnerByContact(ctx, c.channel, c.value)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			// A partner seeded on an earlier start (or by other settings)
			// already has this contact: say so when the settings given now
			// differ, rather than ignore them silently.
			if p.Name != s.cfg.PartnerName || p.Email != email || p.WhatsApp != wa {
				s.log.Warn("partner settings ignored: the data directory already has a partner with this contact",
					"partner", p.ID, "name", p.Name, "email", contact.Mask(contact.Email, p.Email),
					"whatsapp", contact.Mask(contact.WhatsApp, p.WhatsApp))
			}
			return nil
		}
		id, err := randomID("ptn_")
		if err != nil {
			return err
		}
		return tx.InsertPartner(ctx, store.Partner{ID: id, Name: s.cfg.PartnerName, Email: email, WhatsApp: wa, CreatedAt: stamp(s.clock.Now())})
	})
}

// randomID is prefix and 12 random lowercase base36 characters.
func randomID(prefix string) (string, error) {
	id, err := apikey.GenerateID()
	if err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return prefix + strings.TrimPrefix(id, "key_"), nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/auth/otp", s.handleRequestOTP)
	m.HandleFunc("POST /v1/auth/otp/verify", s.handleVerifyOTP)
	m.HandleFunc("GET /v1/auth/session", s.withSession(s.handleGetSession))
	m.HandleFunc("DELETE /v1/auth/session", s.withSession(s.handleDeleteSession))
	m.HandleFunc("POST /v1/api-keys", s.withSession(s.handleCreateKey))
	m.HandleFunc("GET /v1/api-keys", s.withSession(s.handleListKeys))
	m.HandleFunc("GET /v1/api-keys/{key_id}", s.withSession(s.handleGetKey))
	m.HandleFunc("GET /v1/api-keys/usage", s.withSession(s.handleUsageSummary))
	m.HandleFunc("GET /v1/api-keys/{key_id}/usage", s.withSession(s.handleKeyUsage))
	m.HandleFunc("PATCH /v1/api-keys/{key_id}", s.withSession(s.handleUpdateKey))
	m.HandleFunc("DELETE /v1/api-keys/{key_id}", s.withSession(s.handleRevokeKey))
	m.HandleFunc("POST /v1/api-keys/{key_id}/rotate", s.withSession(s.handleRotateKey))
	m.HandleFunc("POST /v1/api-keys/{key_id}/rotation/undo", s.withSession(s.handleUndoRotation))
	s.keyRoutes = map[string]bool{}
	for _, kr := range []struct {
		pattern, scope string
		h              keyHandler
	}{
		{"POST /v1/api-keys/self/rotate", "keys:rotate", s.handleSelfRotate},
		{"POST /v1/api-keys/self/rotation/undo", "keys:rotate", s.handleSelfUndoRotation},
		{"GET /v1/api-keys/self/usage", "keys:rotate", s.handleSelfUsage},
		{"GET /v1/auth/verify", "", s.handleVerify},
		{"GET /v1/loyalty/program", "loyalty:read", s.handleLoyaltyProgram},
		{"GET /v1/loyalty/customers/search", "customer:read", s.handleCustomerSearch},
		{"POST /v1/loyalty/customers", "customer:write", s.handleCreateCustomer},
		{"POST /v1/loyalty/validate-coupon", "coupons:validate", s.handleValidateCoupon},
		{"POST /v1/loyalty/points/add", "loyalty:write", s.handleAddPoints},
		{"GET /v1/webhooks", "webhooks:manage", s.handleListWebhooks},
	} {
		// The management calls on /api-keys/self/* are not use of the API
		// (docs/api.md "Usage").
		record := !strings.HasPrefix(kr.pattern[strings.IndexByte(kr.pattern, ' ')+1:], "/v1/api-keys/self/")
		m.HandleFunc(kr.pattern, s.withKey(kr.scope, record, kr.h))
		s.keyRoutes[kr.pattern] = true
	}
	m.HandleFunc("GET /_emulator/outbox", s.handleOutbox)
	m.HandleFunc("POST /_emulator/clock", s.handleClock)
	m.HandleFunc("GET /_emulator/clock", s.handleClockShow)
	m.HandleFunc("POST /_emulator/reset", s.handleReset)
	m.HandleFunc("GET /_emulator/openapi.yaml", s.handleOpenAPIYAML)
	m.HandleFunc("GET /_emulator/openapi.json", s.handleOpenAPIJSON)
	if !s.cfg.NoUI {
		s.dashboardRoutes(m)
	}
	s.mux = m
	s.handler = http.HandlerFunc(s.serve)
}

// serve stamps the Date header with the emulator's clock, answers unknown
// routes in the API's error form, recovers panics as 500s and logs each
// request (method, path, status, duration; never headers or bodies).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header()["Date"] = s.date.header(s.clock.Now())
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", slog.String("path", r.URL.Path), slog.Any("panic", v))
			if !rec.wrote {
				s.writeError(rec, r, errInternal)
			}
		}
		// LogAttrs: the variadic ...any form would box every attribute.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	}()
	if err := s.guard(r); err != nil {
		s.writeError(rec, r, err)
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.unrouted(rec, r)
		return
	}
	if err := s.guardRouted(r, pattern); err != nil {
		s.writeError(rec, r, err)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// dateCache holds the Date header value of the current second, formatted
// once per second rather than once per request.
type dateCache struct{ cur atomic.Pointer[httpDate] }

// httpDate is the Date header value of one second. value is shared by every
// response of that second: it is read-only (Header.Set replaces a value, it
// never writes into one).
type httpDate struct {
	unix  int64
	value []string
}

// header is the Date header value for now, in http.TimeFormat.
func (c *dateCache) header(now time.Time) []string {
	sec := now.Unix()
	if d := c.cur.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &httpDate{unix: sec, value: []string{now.UTC().Format(http.TimeFormat)}}
	c.cur.Store(d)
	return d.value
}

// unrouted answers a request no route matches: 405 (with Allow) when the
// path exists for another method, else 404, both as JSON errors.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, errMethodNotAllowed)
		return
	}
	s.writeError(w, r, errNotFoundRoute)
}

// statusWriter remembers the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// probeWriter records what the mux's fallback handler would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
