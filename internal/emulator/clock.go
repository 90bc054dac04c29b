package emulator

import (
	"sync/atomic"
	"time"
)

// clock is the emulator's time: a base clock plus an offset that only grows,
// moved by POST /_emulator/clock. The limiter, OTP expiry, sessions and key
// expiry all read it.
type clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds
}

func newClock(base func() time.Time) *clock {
	if base == nil {
		base = time.Now
	}
	return &clock{base: base}
}

// Now is the emulator's current time.
func (c *clock) Now() time.Time {
	return c.base().Add(time.Duration(c.offset.Load()))
}

// Advance moves the clock forward by d (> 0) and returns the new time.
func (c *clock) Advance(d time.Duration) time.Time {
	c.offset.Add(int64(d))
	return c.Now()
}

// stamp is t as stored on records and shown on the wire: UTC, whole seconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
