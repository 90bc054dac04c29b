package emulator

import (
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// clock is the emulator's time: a base clock plus an offset that only grows,
// moved by POST /_emulator/clock. The limiter, OTP expiry, sessions and key
// expiry all read it. The offset is stored with the data (store.Clock), so
// a restart never moves time backwards: an expired key stays expired.
type clock struct {
	base   func() time.Time
	offset atomic.Int64 // nanoseconds
	mu     sync.Mutex   // serialises Advance, so offsets are stored in order
}

// newClock starts from the stored clock: its offset, raised if need be so
// that now is not before the stored floor (the host's clock may have been
// set back since).
func newClock(base func() time.Time, stored store.Clock) *clock {
	if base == nil {
		base = time.Now
	}
	c := &clock{base: base}
	off := stored.Offset
	if now := base().Add(off); now.Before(stored.Floor) {
		off += stored.Floor.Sub(now)
	}
	c.offset.Store(int64(max(off, 0)))
	return c
}

// state is the clock to store: its offset, and now as the floor.
func (c *clock) state() store.Clock {
	return store.Clock{Offset: time.Duration(c.offset.Load()), Floor: c.Now()}
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

// Advance moves the clock forward by d (> 0), has save store the new state,
// and returns the new time. A move that would overflow the offset or take
// the clock past clockHorizon changes nothing and returns errPastHorizon; a
// failed save changes nothing either.
func (c *clock) Advance(d time.Duration, save func(store.Clock) error) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	off := c.offset.Load()
	if d <= 0 || off > math.MaxInt64-int64(d) {
		return time.Time{}, errPastHorizon
	}
	next := time.Duration(off + int64(d))
	now := c.base().Add(next)
	if now.After(clockHorizon) {
		return time.Time{}, errPastHorizon
	}
	if err := save(store.Clock{Offset: next, Floor: now}); err != nil {
		return time.Time{}, err
	}
	c.offset.Store(int64(next))
	return now, nil
}

// stamp is t as stored on records and shown on the wire: UTC, whole seconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
