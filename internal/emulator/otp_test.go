package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
)

const (
	demoEmail    = "dev@example.com"
	demoWhatsApp = "+5511999990000"
)

func TestOTPChallengeDescribesTheSend(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("whatsapp", "+55 (11) 99999-0000")
	if !strings.HasPrefix(c.VerificationID, "ver_") || c.Channel != "whatsapp" || c.DestinationHint == "" || strings.Contains(c.DestinationHint, "99990000") {
		t.Fatalf("challenge %+v", c)
	}
	if d := c.ExpiresAt.Sub(c.ResendAfter); d != 4*time.Minute {
		t.Fatalf("whatsapp code valid %v after resend_after, want 5m-60s", d)
	}
	var box api.Outbox
	h.request("GET", "/_emulator/outbox", "", nil).decode(t, &box)
	if len(box.Messages) != 1 || box.Messages[0].Destination != demoWhatsApp || len(box.Messages[0].Code) != 6 {
		t.Fatalf("outbox %+v", box)
	}
	text := box.Messages[0].Text
	for _, want := range []string{"Zupy Developer Verification", "Your verification code: " + box.Messages[0].Code, "This code expires in 5 minutes.", "Do not share this code with anyone."} {
		if !strings.Contains(text, want) || !strings.Contains(h.msgs.String(), want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
}

func TestOTPLoginOpensA24HourSession(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("", demoEmail) // channel guessed from the "@"
	if c.Channel != "email" {
		t.Fatalf("channel %s", c.Channel)
	}
	r := h.verifyOTP(c.VerificationID, h.lastCode(demoEmail))
	expect(t, r, 200)
	var l api.Login
	r.decode(t, &l)
	if !strings.HasPrefix(l.SessionToken, "zup_sess_") || l.Partner.Email != demoEmail || l.Partner.Name != "Demo Partner" || l.Partner.WhatsApp != demoWhatsApp {
		t.Fatalf("login %+v", l)
	}
	r = h.request("GET", "/v1/auth/session", l.SessionToken, nil)
	expect(t, r, 200)
	var s api.Session
	r.decode(t, &s)
	if s.ExpiresAt.Sub(s.CreatedAt) != 24*time.Hour || s.Partner.ID != l.Partner.ID {
		t.Fatalf("session %+v", s)
	}
	h.advance(24*3600 - 5)
	expect(t, h.request("GET", "/v1/auth/session", l.SessionToken, nil), 200)
	h.advance(10)
	expect(t, h.request("GET", "/v1/auth/session", l.SessionToken, nil), 401, api.CodeAuthentication, "Session has expired")
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	r := h.request("DELETE", "/v1/auth/session", sess, nil)
	expect(t, r, http.StatusNoContent)
	expect(t, h.request("GET", "/v1/auth/session", sess, nil), 401, api.CodeAuthentication, "Invalid session token")
}

func TestSessionAuthenticationErrors(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, nil)
	expect(t, h.request("GET", "/v1/api-keys", "", nil), 401, api.CodeAuthentication, "Missing Authorization header")
	expect(t, h.request("GET", "/v1/api-keys", "zup_sess_notarealtoken", nil), 401, api.CodeAuthentication, "Invalid session token")
	expect(t, h.request("GET", "/v1/api-keys", "zup_sess_"+strings.Repeat("A", 40), nil), 401, api.CodeAuthentication, "Invalid session token")
	expect(t, h.request("GET", "/v1/api-keys", k.APIKey, nil), 401, api.CodeAuthentication, "Invalid session token")
	expect(t, h.request("GET", "/v1/api-keys", "", nil, "Authorization", sess), 401, api.CodeAuthentication, "Invalid session token")
}

func TestSessionRoutesAreLimitedTo120PerMinute(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	for i := 0; i < 120; i++ {
		r := h.request("GET", "/v1/auth/session", sess, nil)
		expect(t, r, 200)
		if i == 0 && (r.header.Get("X-RateLimit-Limit") != "120" || r.header.Get("X-RateLimit-Window") != "60") {
			t.Fatalf("headers %v", r.header)
		}
	}
	r := h.request("GET", "/v1/api-keys", sess, nil)
	expect(t, r, 429, api.CodeRateLimit, "Request rate limit exceeded")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestOTPCodeExpiresAfterFiveMinutesOnWhatsApp(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("whatsapp", demoWhatsApp)
	code := h.lastCode(demoWhatsApp)
	h.advance(5*60 + 1)
	e := expect(t, h.verifyOTP(c.VerificationID, code), 401, api.CodeVerification, "OTP code has expired")
	if e.Details["error_code"] != "OTP_EXPIRED" {
		t.Fatalf("details %v", e.Details)
	}
	c = h.requestOTP("whatsapp", demoWhatsApp)
	h.advance(5*60 - 2)
	expect(t, h.verifyOTP(c.VerificationID, h.lastCode(demoWhatsApp)), 200)
}

func TestOTPCodeExpiresAfterTenMinutesByEmail(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("email", demoEmail)
	code := h.lastCode(demoEmail)
	h.advance(9 * 60)
	c2 := h.requestOTP("email", "other@example.org") // unrelated destination
	_ = c2
	expect(t, h.verifyOTP(c.VerificationID, "000000"), 401) // wrong, but not expired
	h.advance(61)
	expect(t, h.verifyOTP(c.VerificationID, code), 401, api.CodeVerification, "OTP code has expired")
}

func TestOTPCodeIsSingleUse(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("email", demoEmail)
	code := h.lastCode(demoEmail)
	expect(t, h.verifyOTP(c.VerificationID, code), 200)
	e := expect(t, h.verifyOTP(c.VerificationID, code), 401, api.CodeVerification, "OTP code has already been used")
	if e.Details["error_code"] != "OTP_ALREADY_USED" {
		t.Fatalf("details %v", e.Details)
	}
}

func TestNewCodeSupersedesThePrevious(t *testing.T) {
	h := newHarness(t)
	first := h.requestOTP("email", demoEmail)
	oldCode := h.lastCode(demoEmail)
	h.advance(61)
	second := h.requestOTP("email", demoEmail)
	e := expect(t, h.verifyOTP(first.VerificationID, oldCode), 401, api.CodeVerification, "OTP code has expired")
	if e.Details["error_code"] != "OTP_SUPERSEDED" {
		t.Fatalf("details %v", e.Details)
	}
	expect(t, h.verifyOTP(second.VerificationID, h.lastCode(demoEmail)), 200)
}

func TestFiveWrongAttemptsKillTheCode(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("email", demoEmail)
	code := h.lastCode(demoEmail)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := 1; i <= 5; i++ {
		e := expect(t, h.verifyOTP(c.VerificationID, wrong), 401, api.CodeVerification, "Invalid OTP code")
		if e.Details["attempts_remaining"] != float64(5-i) {
			t.Fatalf("attempt %d: attempts_remaining %v", i, e.Details["attempts_remaining"])
		}
	}
	e := expect(t, h.verifyOTP(c.VerificationID, code), 401, api.CodeVerification)
	if e.Details["error_code"] != "OTP_ATTEMPTS_EXHAUSTED" || e.Details["attempts_remaining"] != float64(0) {
		t.Fatalf("dead code answered %v", e)
	}
}

// failCodes sends n wrong codes for dest, requesting a new code (61 s of
// emulator time apart, for the resend cooldown) whenever one dies, and
// returns the last challenge with the code delivered for it ("" for an
// unknown destination).
func failCodes(h *harness, dest string, n int) (api.OTPChallenge, string) {
	h.t.Helper()
	var c api.OTPChallenge
	var code string
	for i := 0; i < n; i++ {
		if i%5 == 0 {
			if i > 0 {
				h.advance(61)
			}
			c = h.requestOTP("", dest)
			code = ""
			if dest == demoEmail || dest == demoWhatsApp {
				code = h.lastCode(dest)
			}
		}
		expect(h.t, h.verifyOTP(c.VerificationID, wrongCode(code)), 401, api.CodeVerification, "Invalid OTP code")
	}
	return c, code
}

func TestTwentyFailuresLockTheDestinationForFifteenMinutes(t *testing.T) {
	h := newHarness(t)
	// Four codes: 20 consecutive failures, surviving resends.
	failCodes(h, demoEmail, 20)
	h.advance(61)
	c := h.requestOTP("", demoEmail)
	r := h.verifyOTP(c.VerificationID, h.lastCode(demoEmail)) // even the right code
	e := expect(t, r, 429, api.CodeRateLimit, "OTP verification is locked after too many failed attempts")
	ra, _ := e.Details["retry_after"].(float64)
	if e.Details["error_code"] != "OTP_LOCKED" || ra < 13*60 || ra > 15*60 || r.header.Get("Retry-After") == "" {
		t.Fatalf("lock answer %v", e)
	}
	h.advance(15 * 60)
	c = h.requestOTP("", demoEmail)
	expect(t, h.verifyOTP(c.VerificationID, h.lastCode(demoEmail)), 200)
}

// An unknown destination is locked exactly like a partner's, so the lock-out
// does not tell registered contacts from others.
func TestOTPLockAnswersAlikeForUnknownDestinations(t *testing.T) {
	h := newHarness(t)
	const stranger = "stranger@example.org"
	known, unknown := h.requestOTP("", demoEmail), h.requestOTP("", stranger)
	code := h.lastCode(demoEmail)
	for i := 1; i <= 20; i++ {
		a := h.verifyOTP(known.VerificationID, wrongCode(code))
		b := h.verifyOTP(unknown.VerificationID, wrongCode(code))
		if a.status != 401 || a.status != b.status || string(a.body) != string(b.body) {
			t.Fatalf("failure %d: known %d %s, unknown %d %s", i, a.status, a.body, b.status, b.body)
		}
		if i%5 == 0 && i < 20 {
			h.advance(61)
			known, unknown = h.requestOTP("", demoEmail), h.requestOTP("", stranger)
			code = h.lastCode(demoEmail)
		}
	}
	h.advance(61)
	known, unknown = h.requestOTP("", demoEmail), h.requestOTP("", stranger)
	a := h.verifyOTP(known.VerificationID, "123456")
	b := h.verifyOTP(unknown.VerificationID, "123456")
	ea := expect(t, a, 429, api.CodeRateLimit, "OTP verification is locked after too many failed attempts")
	eb := expect(t, b, 429, api.CodeRateLimit, "OTP verification is locked after too many failed attempts")
	for _, e := range []api.ErrorBody{ea, eb} {
		if ra, _ := e.Details["retry_after"].(float64); e.Details["error_code"] != "OTP_LOCKED" || len(e.Details) != 2 || ra < 13*60 || ra > 15*60 {
			t.Fatalf("lock answer %v", e)
		}
	}
	// The answers may differ only by a second of retry_after (the two locks
	// were set by two requests, a moment apart in real time).
	raA, raB := ea.Details["retry_after"].(float64), eb.Details["retry_after"].(float64)
	if d := raA - raB; d < -1 || d > 1 || a.header.Get("Retry-After") != fmt.Sprint(raA) || b.header.Get("Retry-After") != fmt.Sprint(raB) {
		t.Fatalf("lock answers differ: %s %v vs %s %v", a.body, a.header, b.body, b.header)
	}
	h.advance(15 * 60)
	known, unknown = h.requestOTP("", demoEmail), h.requestOTP("", stranger)
	expect(t, h.verifyOTP(unknown.VerificationID, "123456"), 401, api.CodeVerification, "Invalid OTP code")
	expect(t, h.verifyOTP(known.VerificationID, h.lastCode(demoEmail)), 200)
}

// Locking one of a partner's contacts must not show on its others: the lock
// is per destination, so probing a number after locking the partner's e-mail
// cannot tell the partner's number from a stranger's.
func TestOTPLockDoesNotLinkAPartnersContacts(t *testing.T) {
	h := newHarness(t)
	const strangerNumber = "+5511988887777"
	failCodes(h, demoEmail, 20)
	h.advance(61)
	locked := h.requestOTP("", demoEmail)
	expect(t, h.verifyOTP(locked.VerificationID, "123456"), 429, api.CodeRateLimit)

	mine, other := h.requestOTP("whatsapp", demoWhatsApp), h.requestOTP("whatsapp", strangerNumber)
	code := h.lastCode(demoWhatsApp)
	a := h.verifyOTP(mine.VerificationID, wrongCode(code))
	b := h.verifyOTP(other.VerificationID, wrongCode(code))
	expect(t, a, 401, api.CodeVerification, "Invalid OTP code")
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Fatalf("the partner's number answers %d %s, a stranger's %d %s", a.status, a.body, b.status, b.body)
	}
	// The partner can still log in by WhatsApp; its e-mail stays locked.
	expect(t, h.verifyOTP(mine.VerificationID, code), 200)
	expect(t, h.verifyOTP(locked.VerificationID, "123456"), 429, api.CodeRateLimit)
}

func TestSuccessResetsTheConsecutiveFailures(t *testing.T) {
	h := newHarness(t)
	for round := 0; round < 2; round++ {
		if round > 0 {
			h.advance(15 * 60) // the send cap's window
		}
		// 19 failures, then the right code: 38 failures in all, never 20 in a row.
		c, code := failCodes(h, demoEmail, 19)
		expect(t, h.verifyOTP(c.VerificationID, code), 200)
	}
}

func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestResendIsRefusedForSixtySeconds(t *testing.T) {
	h := newHarness(t)
	h.requestOTP("email", demoEmail)
	h.advance(30)
	r := h.request("POST", "/v1/auth/otp", "", api.OTPRequest{Channel: "email", Destination: demoEmail})
	e := expect(t, r, 429, api.CodeRateLimit)
	if e.Details["error_code"] != "OTP_RESEND_COOLDOWN" || e.Details["retry_after"] != float64(30) || r.header.Get("Retry-After") != "30" {
		t.Fatalf("cooldown answer %v %v", e, r.header)
	}
	h.advance(30)
	h.requestOTP("email", demoEmail)
}

func TestAtMostFiveSendsPerDestinationPerFifteenMinutes(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 5; i++ {
		h.requestOTP("email", demoEmail)
		h.advance(61)
	}
	r := h.request("POST", "/v1/auth/otp", "", api.OTPRequest{Channel: "email", Destination: demoEmail})
	e := expect(t, r, 429, api.CodeRateLimit)
	if e.Details["error_code"] != "OTP_SEND_LIMIT" {
		t.Fatalf("answer %v", e)
	}
	// The other channel of the same partner is another destination.
	h.requestOTP("whatsapp", demoWhatsApp)
	ra := int64(e.Details["retry_after"].(float64))
	if ra < 1 || ra > 15*60 {
		t.Fatalf("retry_after %d", ra)
	}
	h.advance(ra)
	h.requestOTP("email", demoEmail)
}

func TestUnknownDestinationGetsTheSameAnswer(t *testing.T) {
	h := newHarness(t)
	known := h.request("POST", "/v1/auth/otp", "", api.OTPRequest{Channel: "email", Destination: demoEmail})
	unknown := h.request("POST", "/v1/auth/otp", "", api.OTPRequest{Channel: "email", Destination: "stranger@example.org"})
	if known.status != 202 || unknown.status != 202 {
		t.Fatalf("statuses %d %d", known.status, unknown.status)
	}
	var a, b map[string]any
	known.decode(t, &a)
	unknown.decode(t, &b)
	if len(a) != len(b) || b["verification_id"] == "" || b["channel"] != "email" {
		t.Fatalf("answers differ: %s vs %s", known.body, unknown.body)
	}
	var box api.Outbox
	h.request("GET", "/_emulator/outbox?destination=stranger@example.org", "", nil).decode(t, &box)
	if len(box.Messages) != 0 {
		t.Fatalf("a code was sent to an unknown destination: %+v", box)
	}
	// Cooldown applies the same way, and verification fails like a wrong code.
	expect(t, h.request("POST", "/v1/auth/otp", "", api.OTPRequest{Channel: "email", Destination: "stranger@example.org"}), 429)
	e := expect(t, h.verifyOTP(b["verification_id"].(string), "123456"), 401, api.CodeVerification, "Invalid OTP code")
	if e.Details["attempts_remaining"] != float64(4) {
		t.Fatalf("details %v", e.Details)
	}
}

func TestConcurrentVerificationsOpenExactlyOneSession(t *testing.T) {
	h := newHarness(t)
	c := h.requestOTP("email", demoEmail)
	code := h.lastCode(demoEmail)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.verifyOTP(c.VerificationID, code).status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 401:
		default:
			t.Errorf("status %d", s)
		}
	}
	if ok != 1 {
		t.Fatalf("%d verifications succeeded, want exactly 1 (%v)", ok, statuses)
	}
}

func TestOTPValidationErrors(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		path  string
		body  any
		field string
	}{
		{"/v1/auth/otp", map[string]string{"channel": "sms", "destination": demoEmail}, "channel"},
		{"/v1/auth/otp", map[string]string{"channel": "email", "destination": "not-an-address"}, "destination"},
		{"/v1/auth/otp", map[string]string{"channel": "whatsapp", "destination": "12345"}, "destination"},
		{"/v1/auth/otp", map[string]string{}, "destination"},
		{"/v1/auth/otp", map[string]string{"destination": demoEmail, "extra": "x"}, "extra"},
		{"/v1/auth/otp", "{not json", "body"},
		{"/v1/auth/otp/verify", map[string]string{"verification_id": "ver_x", "code": "12345"}, "code"},
		{"/v1/auth/otp/verify", map[string]string{"verification_id": "ver_x", "code": "12a456"}, "code"},
		{"/v1/auth/otp/verify", map[string]string{"verification_id": "nope", "code": "123456"}, "verification_id"},
	}
	for _, c := range cases {
		e := expect(t, h.request("POST", c.path, "", c.body), 400, api.CodeValidation)
		if e.Details["field"] != c.field {
			t.Errorf("%v: field %v, want %s", c.body, e.Details["field"], c.field)
		}
	}
	e := expect(t, h.verifyOTP("ver_doesnotexist", "123456"), 401, api.CodeVerification, "OTP code has expired")
	if e.Details["error_code"] != "OTP_NOT_FOUND" {
		t.Fatalf("details %v", e.Details)
	}
}
