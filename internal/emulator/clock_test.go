package emulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// Issue 11.1: the clock's offset lived in memory only, so after a restart an
// expired key verified again and OTP cooldowns stored "in the future"
// blocked sends.
func TestClockSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	expires := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	k := h.createKey(sess, map[string]any{"expires_at": expires.Format(time.RFC3339)})
	h.advance(3 * 3600)
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), http.StatusUnauthorized, wire.CodeAuthentication, wire.MsgAPIKeyExpired)
	h.requestOTP("email", demoEmail) // created_at three hours ahead of the host
	h.advance(61)

	h.restart()
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), http.StatusUnauthorized, wire.CodeAuthentication, wire.MsgAPIKeyExpired)
	h.requestOTP("email", demoEmail) // the cooldown has passed on the emulator's clock
	if got := h.srv.clock.Now(); got.Before(time.Now().Add(3*time.Hour + time.Minute)) {
		t.Fatalf("clock after restart %v: the offset was lost", got)
	}
}

// The stored floor holds even when the host's clock is set back between runs.
func TestClockNeverGoesBackAcrossRestarts(t *testing.T) {
	host := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return host } })
	h.advance(600)
	before := h.srv.clock.Now()
	h.restart(func(c *Config) { c.Now = func() time.Time { return host.Add(-24 * time.Hour) } })
	if after := h.srv.clock.Now(); after.Before(before) {
		t.Fatalf("clock went back from %v to %v", before, after)
	}
	// A reset empties the data but keeps the clock.
	expect(t, h.request("POST", "/_emulator/reset", "", nil), http.StatusNoContent)
	h.restart(func(c *Config) { c.Now = func() time.Time { return host } })
	if after := h.srv.clock.Now(); after.Before(before) {
		t.Fatalf("clock after reset and restart %v, before %v", after, before)
	}
}

// Issue 21.15: `zupy emulator clock show` reads the clock through GET
// /_emulator/clock, which moves nothing.
func TestClockRouteShowsTheOffsetWithoutMovingIt(t *testing.T) {
	h := newHarness(t)
	var st wire.ClockState
	h.request("GET", "/_emulator/clock", "", nil).decode(t, &st)
	if d := time.Since(st.Now); d > time.Minute || d < -time.Minute {
		t.Fatalf("a fresh clock: %+v", st)
	}
	h.advance(3600)
	for range 2 {
		r := h.request("GET", "/_emulator/clock", "", nil)
		expect(t, r, http.StatusOK)
		r.decode(t, &st)
		if d := time.Until(st.Now); d < 59*time.Minute || d > 61*time.Minute {
			t.Fatalf("after an hour's move: %+v", st)
		}
	}
}
