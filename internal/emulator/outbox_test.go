package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/wire"
)

// outbox reads GET /_emulator/outbox for dest ("" for all).
func (h *harness) outbox(dest string) wire.Outbox {
	h.t.Helper()
	var box wire.Outbox
	r := h.request("GET", "/_emulator/outbox?destination="+url.QueryEscape(dest), "", nil)
	expect(h.t, r, http.StatusOK)
	r.decode(h.t, &box)
	return box
}

// Issue 21.11: a code asked for an address no partner has was answered
// "sent" and nothing anywhere said otherwise. The API's answer stays the
// same as for a partner's address (no account enumeration), but the log,
// the message stream, the outbox and the dashboard say that no partner has
// it, naming the partner's e-mail and number.
func TestAnAddressNoPartnerHasIsSaidByTheEmulatorNotTheAPI(t *testing.T) {
	h := newHarness(t)
	known := h.request("POST", "/v1/auth/otp", "", wire.OTPRequest{Destination: "dev@example.com"})
	unknown := h.request("POST", "/v1/auth/otp", "", wire.OTPRequest{Destination: "typo@example.com"})
	expect(t, unknown, known.status)
	var a, b map[string]any
	known.decode(t, &a)
	unknown.decode(t, &b)
	if len(a) != len(b) || strings.Contains(string(unknown.body), "partner") {
		t.Fatalf("the API told the addresses apart: %s vs %s", known.body, unknown.body)
	}
	const says = "No partner has this address: no code was sent. Codes go to Demo Partner: dev@example.com, +5511999990000."
	if logs := h.logs.String(); !strings.Contains(logs, "no partner has this address") || !strings.Contains(logs, "dev@example.com, +5511999990000") {
		t.Fatalf("the log does not say it:\n%s", logs)
	}
	if !strings.Contains(h.msgs.String(), "Not sent: typo@example.com") || !strings.Contains(h.msgs.String(), says) {
		t.Fatalf("the message stream does not say it:\n%s", h.msgs.String())
	}
	box := h.outbox("typo@example.com")
	if len(box.Messages) != 0 || len(box.Undelivered) != 1 || box.Undelivered[0].Reason != says || box.Undelivered[0].Destination != "typo@example.com" {
		t.Fatalf("outbox for the unknown address: %+v", box)
	}
	if box := h.outbox("dev@example.com"); len(box.Undelivered) != 0 || len(box.Messages) != 1 {
		t.Fatalf("outbox for the partner: %+v", box)
	}
	st, _ := h.dashboardState()
	notes := 0
	for _, m := range st.Outbox {
		if m.Note != "" {
			notes++
			if m.Note != says || m.Code != "" || m.DestinationHint != "t***@example.com" {
				t.Fatalf("dashboard outbox: %+v", st.Outbox)
			}
		}
	}
	if len(st.Outbox) != 2 || notes != 1 {
		t.Fatalf("dashboard outbox: %+v", st.Outbox)
	}
}

// Issue 21.11: `emulator otp` printed a used or expired code as if it were
// current. Each outbox message says what became of its code.
func TestOutboxMessagesSayWhatBecameOfTheirCode(t *testing.T) {
	h := newHarness(t)
	status := func(dest string) []string {
		var out []string
		for _, m := range h.outbox(dest).Messages {
			out = append(out, m.Status)
		}
		return out
	}
	h.login()
	if got := strings.Join(status("dev@example.com"), ","); got != "used" {
		t.Fatalf("after a login: %s", got)
	}
	h.advance(61)
	h.requestOTP("email", "dev@example.com")
	h.advance(61)
	h.requestOTP("email", "dev@example.com")
	if got := strings.Join(status("dev@example.com"), ","); got != "used,superseded,valid" {
		t.Fatalf("after a newer code: %s", got)
	}
	c := h.requestOTP("whatsapp", "+5511999990000")
	m := h.outbox("+5511999990000").Messages
	if len(m) != 1 || m[0].Status != wire.OTPValid || !m[0].ExpiresAt.Equal(m[0].SentAt.Add(otpTTLWhatsApp)) {
		t.Fatalf("a fresh code: %+v", m)
	}
	h.advance(5 * 60)
	if got := strings.Join(status("+5511999990000"), ","); got != "expired" {
		t.Fatalf("after five minutes: %s", got)
	}
	expect(t, h.verifyOTP(c.VerificationID, h.lastCode("+5511999990000")), http.StatusUnauthorized)
}
