package emulator

import (
	"fmt"
	"testing"
)

func (h *harness) rows(table string) int {
	h.t.Helper()
	n, err := h.srv.store.Rows(h.t.Context(), table)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

// Issue 11.11: every unauthenticated POST /auth/otp to an unknown
// destination wrote a row, never purged (20,000 requests grew the database
// from 196 KB to 8.3 MB). A SQLite file never shrinks, so count rows.
func TestUnknownDestinationsHoldABoundedNumberOfRows(t *testing.T) {
	h := newHarness(t)
	h.srv.bounds = otpBounds{unknownChallenges: 25, destinationLocks: 10}
	var last []string
	for i := range 300 {
		c := h.requestOTP("email", fmt.Sprintf("nobody%d@example.org", i))
		if i >= 300-5 {
			last = append(last, c.VerificationID)
		}
		if i%4 == 0 { // a wrong code: a lock-out row for that destination
			expect(t, h.verifyOTP(c.VerificationID, "000000"), 401)
		}
	}
	if n := h.rows("otp_challenges"); n > 25 {
		t.Fatalf("%d challenge rows after 300 unknown destinations, bound 25", n)
	}
	if n := h.rows("otp_locks"); n > 10+25 {
		t.Fatalf("%d lock-out rows, bound 10 plus those of kept challenges", n)
	}
	// The newest are kept and still answer as a known destination's would.
	for _, id := range last {
		expect(t, h.verifyOTP(id, "000000"), 401, "verification_failed", "Invalid OTP code")
	}
	// A partner's own challenge is not subject to the bound.
	h.requestOTP("email", demoEmail)
	for i := range 50 {
		h.requestOTP("email", fmt.Sprintf("later%d@example.org", i))
	}
	h.lastCode(demoEmail)
	if n := h.rows("otp_challenges"); n != 26 {
		t.Fatalf("%d challenge rows, want 25 unknown + 1 known", n)
	}
}

// Expired verifications are purged once no rule counts them any more (the
// 15-minute send window), a partner's included.
func TestExpiredVerificationsArePurged(t *testing.T) {
	h := newHarness(t)
	h.requestOTP("email", demoEmail)
	h.requestOTP("whatsapp", demoWhatsApp)
	h.requestOTP("email", "nobody@example.org")
	if n := h.rows("otp_challenges"); n != 3 {
		t.Fatalf("%d rows", n)
	}
	h.advance(14 * 60) // expired, but inside the send window: kept
	h.requestOTP("email", "other@example.org")
	if n := h.rows("otp_challenges"); n != 4 {
		t.Fatalf("%d rows inside the send window, want 4", n)
	}
	h.advance(2 * 60)
	h.requestOTP("email", demoEmail)
	if n := h.rows("otp_challenges"); n != 2 {
		t.Fatalf("%d rows after the window, want the 2 recent ones", n)
	}
}
