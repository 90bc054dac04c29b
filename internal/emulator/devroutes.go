package emulator

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// handleOutbox is GET /_emulator/outbox[?destination=]: the messages "sent",
// oldest first. The destination is matched after normalisation, so
// "+55 11 99999-0000" finds "+5511999990000".
func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, "destination")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	dest := strings.TrimSpace(q.Get("destination"))
	if dest != "" {
		if n, err := contact.Normalize(contact.Guess(dest), dest); err == nil {
			dest = n
		}
	}
	writeJSON(w, http.StatusOK, s.outbox.list(dest, s.clock.Now()))
}

// clockBody is the body of POST /_emulator/clock.
type clockBody struct {
	AdvanceSeconds *int64 `json:"advance_seconds"`
}

// handleClock is POST /_emulator/clock {"advance_seconds": N}: moves the
// emulator's clock forward by N > 0 seconds (at most 100 years at a time,
// and never past clockHorizon).
func (s *Server) handleClock(w http.ResponseWriter, r *http.Request) {
	var b clockBody
	if err := decodeJSON(w, r, &b); err != nil {
		s.writeError(w, r, err)
		return
	}
	const maxAdvance = 100 * 365 * 24 * 3600
	if b.AdvanceSeconds == nil || *b.AdvanceSeconds <= 0 || *b.AdvanceSeconds > maxAdvance {
		s.writeError(w, r, validation("advance_seconds", "must be a whole number of seconds greater than 0 (at most 100 years)"))
		return
	}
	now, err := s.clock.Advance(time.Duration(*b.AdvanceSeconds)*time.Second, func(c store.Clock) error {
		return s.store.SaveClock(r.Context(), c)
	})
	if errors.Is(err, errPastHorizon) {
		err = validation("advance_seconds", err.Error())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	s.log.InfoContext(r.Context(), "clock advanced", slog.Int64("seconds", *b.AdvanceSeconds))
	s.publish(Event{Type: EventClock, At: now.UTC()})
	writeJSON(w, http.StatusOK, s.clockState(now))
}

// handleClockShow is GET /_emulator/clock: the emulator's time, moving
// nothing.
func (s *Server) handleClockShow(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.clockState(s.clock.Now()))
}

func (s *Server) clockState(now time.Time) wire.ClockState {
	return wire.ClockState{Now: now.UTC()}
}

// handleReset is POST /_emulator/reset: empties the data (keys, sessions,
// codes, OTP lock-outs, audit, outbox, limiter, pending usage) and reseeds
// the demo partner. The clock keeps its offset (it only moves forward) and
// the HMAC secret is kept. Answers 204.
func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.usage.reset()
	s.stats.reset()
	if err := s.store.Reset(ctx); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.keys.clear()
	s.usage.reset()
	s.stats.reset()
	s.outbox.clear()
	s.loyalty.reset()
	s.limiter.Reset()
	if err := s.seedPartner(ctx); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "emulator reset")
	s.publish(Event{Type: EventReset})
	w.WriteHeader(http.StatusNoContent)
}
