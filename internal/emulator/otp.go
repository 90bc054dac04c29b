package emulator

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// The OTP rules of docs/api.md.
const (
	otpTTLWhatsApp    = 5 * time.Minute
	otpTTLEmail       = 10 * time.Minute
	otpMaxAttempts    = 5  // wrong codes per code, then it is dead
	otpLockThreshold  = 20 // consecutive wrong codes per partner (or unknown destination)
	otpLockDuration   = 15 * time.Minute
	otpResendCooldown = 60 * time.Second
	otpMaxSends       = 5 // per destination per otpSendWindow
	otpSendWindow     = 15 * time.Minute
	sessionLifetime   = 24 * time.Hour
)

func otpTTL(ch contact.Channel) time.Duration {
	if ch == contact.Email {
		return otpTTLEmail
	}
	return otpTTLWhatsApp
}

// newCode draws a 6-digit code from crypto/rand, uniformly.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("draw otp code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// retrySeconds is d rounded up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}

// handleRequestOTP is POST /auth/otp. It answers the same way whether or not
// the destination belongs to a partner; for an unknown one a challenge with a
// code nobody receives is stored, so that cooldown, caps and verification
// behave identically.
func (s *Server) handleRequestOTP(w http.ResponseWriter, r *http.Request) {
	if err := s.requestOTP(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) requestOTP(w http.ResponseWriter, r *http.Request) error {
	var req wire.OTPRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Destination) == "" {
		return validation("destination", "is required")
	}
	ch := contact.Guess(req.Destination)
	if req.Channel != "" {
		var err error
		if ch, err = contact.ParseChannel(req.Channel); err != nil {
			return validation("channel", err.Error())
		}
	}
	dest, err := contact.Normalize(ch, req.Destination)
	if err != nil {
		return validation("destination", err.Error())
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	id, err := randomID("ver_")
	if err != nil {
		return err
	}
	nowExact := s.clock.Now()
	now := stamp(nowExact)
	ttl := otpTTL(ch)
	ctx := r.Context()
	var refusal error
	var known bool
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		refusal = nil
		if err := s.purgeOTP(ctx, tx, nowExact); err != nil {
			return err
		}
		latest, err := tx.LatestSend(ctx, dest)
		if err != nil {
			return err
		}
		if wait := latest.Add(otpResendCooldown).Sub(nowExact); !latest.IsZero() && wait > 0 {
			refusal = tooMany(wire.ErrOTPResendCooldown, retrySeconds(wait), wire.DetailLimit, 1, wire.DetailWindow, "60s")
			return nil
		}
		n, oldest, _, err := tx.RecentSends(ctx, dest, nowExact.Add(-otpSendWindow))
		if err != nil {
			return err
		}
		if n >= otpMaxSends {
			refusal = tooMany(wire.ErrOTPSendLimit, retrySeconds(oldest.Add(otpSendWindow).Sub(nowExact)),
				wire.DetailLimit, otpMaxSends, wire.DetailWindow, "900s")
			return nil
		}
		partner, err := tx.PartnerByContact(ctx, string(ch), dest)
		switch {
		case err == nil:
			known = true
		case errors.Is(err, store.ErrNotFound):
		default:
			return err
		}
		if err := tx.SupersedeChallenges(ctx, dest, now); err != nil {
			return err
		}
		err = tx.InsertChallenge(ctx, store.Challenge{ID: id, PartnerID: partner.ID, Channel: string(ch), Destination: dest,
			CodeHash: s.store.Hash(code), CreatedAt: now, ExpiresAt: now.Add(ttl)})
		if err != nil || known {
			return err
		}
		return tx.CapUnknownChallenges(ctx, s.bounds.unknownChallenges)
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		return refusal
	}
	hint := contact.Mask(ch, dest)
	if known {
		s.outbox.deliver(ch, dest, code, id, ttl, now)
		s.publish(Event{Type: EventOTPSent, Channel: string(ch), DestinationHint: hint})
		s.log.InfoContext(ctx, "otp requested", slog.String("verification_id", id), slog.String("channel", string(ch)),
			slog.String("destination_hint", hint))
	} else {
		// The answer below is the same as for a partner's address (no
		// account enumeration, docs/api.md#otp-login); the emulator's own
		// log and outbox say what happened, and where codes do go.
		partners := s.partnerContacts(ctx)
		s.outbox.refuse(ch, dest, "No partner has this address: no code was sent. "+partners, now)
		s.publish(Event{Type: EventOTPSent, Channel: string(ch), DestinationHint: hint})
		s.log.WarnContext(ctx, "no partner has this address: no code was sent", slog.String("verification_id", id),
			slog.String("channel", string(ch)), slog.String("destination_hint", hint), slog.String("partners", partners))
	}
	writeJSON(w, http.StatusAccepted, wire.OTPChallenge{VerificationID: id, Channel: string(ch), DestinationHint: hint,
		ExpiresAt: now.Add(ttl), ResendAfter: now.Add(otpResendCooldown)})
	return nil
}

// handleVerifyOTP is POST /auth/otp/verify: checks the code and opens a
// 24-hour session. All checks and the consumption of the code run in one
// transaction, so of two concurrent verifications of a code exactly one
// opens a session.
func (s *Server) handleVerifyOTP(w http.ResponseWriter, r *http.Request) {
	if err := s.verifyOTP(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) verifyOTP(w http.ResponseWriter, r *http.Request) error {
	var req wire.OTPVerifyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if !strings.HasPrefix(req.VerificationID, "ver_") || len(req.VerificationID) > 64 {
		return validation("verification_id", "must be the verification_id returned by POST /auth/otp")
	}
	if err := contact.ValidateCode(req.Code); err != nil {
		return validation("code", err.Error())
	}
	token, err := apikey.GenerateSessionToken()
	if err != nil {
		return fmt.Errorf("generate session token: %w", err)
	}
	sessionID, err := randomID("ses_")
	if err != nil {
		return err
	}
	codeHash := s.store.Hash(req.Code)
	nowExact := s.clock.Now()
	now := stamp(nowExact)
	ctx := r.Context()
	var outcome error
	var login wire.Login
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		outcome = nil
		var err error
		outcome, login, err = s.verifyInTx(ctx, tx, req.VerificationID, codeHash, token, sessionID, nowExact, now)
		return err
	})
	if err != nil {
		return err
	}
	if outcome != nil {
		return outcome
	}
	s.outbox.markUsed(req.VerificationID)
	s.log.InfoContext(ctx, "partner logged in", slog.String("partner_id", login.Partner.ID), slog.String("verification_id", req.VerificationID))
	s.publish(Event{Type: EventLogin, PartnerID: login.Partner.ID})
	writeJSON(w, http.StatusOK, login)
	return nil
}

// verifyInTx decides a verification inside tx. outcome is the refusal to
// answer (its effects, such as a counted attempt, are still committed); err
// is a failure that rolls everything back.
func (s *Server) verifyInTx(ctx context.Context, tx *store.Tx, id, codeHash, token, sessionID string, nowExact, now time.Time) (outcome error, login wire.Login, err error) {
	c, err := tx.ChallengeByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errOTPUnknown, login, nil
	}
	if err != nil {
		return nil, login, err
	}
	// The lock-out belongs to the partner (docs/api.md: "20 consecutive failures
	// for a partner"), counted across all of its contacts. A challenge of an
	// unknown destination counts and locks that destination alone, with the
	// same thresholds and answers, so probing one contact does not tell a
	// registered one from another (docs/api.md, OTP login).
	subject := otpLockSubject(c)
	lock, err := tx.OTPLockOf(ctx, subject)
	if err != nil {
		return nil, login, err
	}
	if nowExact.Before(lock.LockedUntil) {
		return tooMany(wire.ErrOTPLocked,
			retrySeconds(lock.LockedUntil.Sub(nowExact)), wire.DetailLimit, otpLockThreshold, wire.DetailWindow, "900s"), login, nil
	}
	switch {
	case !c.UsedAt.IsZero():
		return errOTPUsed, login, nil
	case !c.SupersededAt.IsZero():
		return errOTPSuperseded, login, nil
	case !nowExact.Before(c.ExpiresAt):
		return errOTPExpired, login, nil
	case c.Attempts >= otpMaxAttempts:
		return errOTPDead, login, nil
	}
	// A challenge of an unknown destination never matches: nobody got its code.
	match := subtle.ConstantTimeCompare([]byte(codeHash), []byte(c.CodeHash)) == 1 && c.PartnerID != ""
	if !match {
		if _, err := tx.RecordWrongAttempt(ctx, c.ID, otpMaxAttempts); err != nil {
			return nil, login, err
		}
		lock = store.OTPLock{Failures: lock.Failures + 1}
		if lock.Failures >= otpLockThreshold {
			lock = store.OTPLock{LockedUntil: now.Add(otpLockDuration)}
		}
		if err := tx.SetOTPLock(ctx, subject, lock); err != nil {
			return nil, login, err
		}
		return errInvalidOTP(otpMaxAttempts - c.Attempts - 1), login, nil
	}
	consumed, err := tx.ConsumeChallenge(ctx, c.ID, nowExact, otpMaxAttempts)
	if err != nil {
		return nil, login, err
	}
	if !consumed {
		return errOTPUsed, login, nil
	}
	if err := tx.SetOTPLock(ctx, subject, store.OTPLock{}); err != nil {
		return nil, login, err
	}
	partner, err := tx.PartnerByID(ctx, c.PartnerID)
	if err != nil {
		return nil, login, err
	}
	sess := store.Session{ID: sessionID, TokenHash: s.store.Hash(token), PartnerID: partner.ID, CreatedAt: now, ExpiresAt: now.Add(sessionLifetime)}
	if err := tx.InsertSession(ctx, sess); err != nil {
		return nil, login, err
	}
	if err := tx.InsertAudit(ctx, store.AuditEvent{At: now, PartnerID: partner.ID, Actor: "session:" + sessionID, Action: "login",
		Detail: "channel=" + c.Channel}); err != nil {
		return nil, login, err
	}
	return nil, wire.Login{SessionToken: token, ExpiresAt: sess.ExpiresAt, Partner: wirePartner(partner)}, nil
}

// partnerContacts names the partners and their addresses, for the log and
// outbox of a code asked for an address none of them has: "Codes go to Demo
// Partner: dev@example.com, +5511999990000."
func (s *Server) partnerContacts(ctx context.Context) string {
	partners, err := s.store.Partners(ctx)
	if err != nil || len(partners) == 0 {
		return "The emulator has no partner."
	}
	var names []string
	for _, p := range partners {
		names = append(names, fmt.Sprintf("%s: %s, %s", p.Name, p.Email, p.WhatsApp))
	}
	return "Codes go to " + strings.Join(names, "; ") + "."
}

// otpBounds bound what unauthenticated POST /auth/otp traffic can make the
// database hold (docs/api.md: it must not grow without bound).
type otpBounds struct {
	// unknownChallenges is how many challenges of destinations that belong
	// to no partner are kept, the newest; nothing is ever sent there, so
	// dropping the oldest only forgets codes nobody has.
	unknownChallenges int
	// destinationLocks is how many lock-out rows of unknown destinations
	// may be kept before those no longer locked and without a challenge are
	// dropped.
	destinationLocks int
}

var defaultOTPBounds = otpBounds{unknownChallenges: 1000, destinationLocks: 1000}

// purgeOTP deletes the challenges that no rule looks at any more (expired,
// and older than the send window) and, past the bound, the idle lock-out
// rows of unknown destinations.
func (s *Server) purgeOTP(ctx context.Context, tx *store.Tx, now time.Time) error {
	if err := tx.PurgeChallenges(ctx, now, now.Add(-otpSendWindow)); err != nil {
		return err
	}
	return tx.PurgeDestinationLocks(ctx, now, s.bounds.destinationLocks)
}

// otpLockSubject is whose lock-out a verification of c counts against: its
// partner's, or for an unknown destination that destination's.
func otpLockSubject(c store.Challenge) string {
	if c.PartnerID != "" {
		return store.PartnerLockSubject(c.PartnerID)
	}
	return store.DestinationLockSubject(c.Destination)
}

func wirePartner(p store.Partner) wire.Partner {
	return wire.Partner{ID: p.ID, Name: p.Name, Email: p.Email, WhatsApp: p.WhatsApp}
}

// handleGetSession is GET /auth/session.
func (s *Server) handleGetSession(w http.ResponseWriter, r *http.Request, p principal) error {
	writeJSON(w, http.StatusOK, wire.Session{Partner: wirePartner(p.partner), CreatedAt: p.session.CreatedAt, ExpiresAt: p.session.ExpiresAt})
	return nil
}

// handleDeleteSession is DELETE /auth/session: the token stops working at once.
func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request, p principal) error {
	now := stamp(s.clock.Now())
	err := s.store.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.RevokeSession(r.Context(), p.session.ID, now); err != nil {
			return err
		}
		return tx.InsertAudit(r.Context(), store.AuditEvent{At: now, PartnerID: p.partner.ID, Actor: "session:" + p.session.ID, Action: "logout"})
	})
	if err != nil {
		return err
	}
	s.publish(Event{Type: EventLogout, PartnerID: p.partner.ID})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
