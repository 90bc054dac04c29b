package emulator

import (
	"errors"
	"math"
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

// clockHorizon is as far as the clock may be moved. Times are stored as
// Unix nanoseconds, which end in April 2262, and are computed a year or more
// beyond now (a key's default expiry); an offset past the int64 nanoseconds
// of a time.Duration would wrap around into the past and revive expired
// keys, sessions and codes.
var clockHorizon = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// errPastHorizon refuses a move of the clock beyond clockHorizon or the
// offset a time.Duration holds.
var errPastHorizon = errors.New("would move the clock too far (it goes up to " + clockHorizon.Format(time.RFC3339) +
	", at most 292 years ahead of the host's clock)")

// Advance moves the clock forward by d (> 0) and returns the new time. A
// move that would overflow the offset or take the clock past clockHorizon
// changes nothing and returns errPastHorizon.
func (c *clock) Advance(d time.Duration) (time.Time, error) {
	for {
		off := c.offset.Load()
		if d <= 0 || off > math.MaxInt64-int64(d) {
			return time.Time{}, errPastHorizon
		}
		if c.base().Add(time.Duration(off + int64(d))).After(clockHorizon) {
			return time.Time{}, errPastHorizon
		}
		if c.offset.CompareAndSwap(off, off+int64(d)) {
			return c.Now(), nil
		}
	}
}

// stamp is t as stored on records and shown on the wire: UTC, whole seconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
