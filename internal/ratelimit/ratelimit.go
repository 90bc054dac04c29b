// Package ratelimit is the emulator's sliding-window request limiter (docs/api.md).
//
// Time is cut into fixed windows of length Window aligned to multiples of Window since the Unix
// epoch. A key's load at instant t is estimated as
//
//	prev * (Window - elapsed) / Window + curr
//
// where curr is the number of requests admitted in the window containing t, prev the number admitted
// in the window before it, and elapsed the time since the current window began: the previous window
// is weighted by the part of it still inside the last Window. A request is admitted iff admitting it
// keeps the estimate at or below the limit; refused requests are not counted.
//
// All arithmetic is exact integer arithmetic in nanoseconds (128-bit where products could overflow),
// so decisions at window boundaries and the reported RetryAfter do not depend on rounding.
package ratelimit

import (
	"math"
	"math/bits"
	"sync"
	"time"
	"unsafe"
)

// Window is the length of one window (60 s).
const Window = 60 * time.Second

// window is Window in nanoseconds, the unit of all internal arithmetic.
const window = int64(Window)

// shardCount is a power of two so a shard is picked with a mask. 64 shards keep contention on
// distinct keys negligible at the emulator's concurrency while costing only a few KiB.
const shardCount = 64

// shrinkMinPeak and shrinkFactor decide when a sweep rebuilds a shard's map: Go maps never return
// the memory of deleted entries, so after a burst of keys has gone idle the map is copied into a
// right-sized one. Small maps are not worth the copy.
const (
	shrinkMinPeak = 1024
	shrinkFactor  = 4
)

// Decision is the outcome of one Allow or Peek and carries everything the X-RateLimit-* headers
// and a 429 body need.
type Decision struct {
	// Allowed reports whether the request was (Allow) or would be (Peek) admitted.
	Allowed bool
	// Limit is the limit the decision was made against, as passed by the caller.
	Limit int
	// Remaining is floor(Limit - estimate) after the decision, never negative.
	Remaining int
	// Reset is the instant the current window ends.
	Reset time.Time
	// RetryAfter is, for a refused request, the exact wait after which a request would be
	// admitted if no other request for the key is made meanwhile; it is 0 when Allowed.
	RetryAfter time.Duration
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds and at least 1 for a refused request,
// as the Retry-After header requires; it is 0 when the request was allowed.
func (d Decision) RetryAfterSeconds() int {
	if d.Allowed {
		return 0
	}
	s := (d.RetryAfter + time.Second - 1) / time.Second
	if s < 1 {
		return 1
	}
	return int(s)
}

// Limiter tracks the sliding-window counts of many keys. Its methods are safe for concurrent use.
// Allow and Peek on a key already seen allocate nothing.
//
// Keys that have been idle long enough to contribute nothing to any estimate (no request in the
// current or the previous window) are forgotten by a sweep that each shard runs at most once per
// window, on the first call that lands in it in a new window; forgetting them changes no decision.
// The sweep holds only its shard's lock, and a shard that receives no calls keeps its stale keys
// until it does, which bounds memory by the keys seen in the last two windows per active shard.
type Limiter struct {
	now    func() time.Time
	shards [shardCount]shard
}

// shard is one lock and the keys hashed to it, padded so that neighbouring shards' mutexes do not
// share a cache line.
type shard struct {
	shardState
	_ [128 - unsafe.Sizeof(shardState{})%128]byte
}

type shardState struct {
	mu      sync.Mutex
	entries map[string]*entry
	// sweptWindow is the index of the last window in which this shard was swept.
	sweptWindow int64
	// peak is the largest number of entries since the map was last (re)built.
	peak int
}

// entry is the state of one key: the counts of the window with index win and of the one before it.
type entry struct {
	win  int64
	prev uint64
	curr uint64
}

// New returns an empty Limiter that reads the time from now, so that the emulator's movable clock
// drives the windows; a nil now means time.Now. now is called outside any lock.
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now}
	for i := range l.shards {
		l.shards[i].entries = make(map[string]*entry)
		l.shards[i].sweptWindow = math.MinInt64
	}
	return l
}

// Allow decides whether one request for key is admitted under limit requests per Window and counts
// it if so. The limit is per call because keys differ in limit and the caller owns that mapping (a
// key lineage shares one budget under its own limit); a limit below 1 admits nothing and reports
// RetryAfter as the time left in the current window.
func (l *Limiter) Allow(key string, limit int) Decision {
	return l.decide(key, limit, true)
}

// Peek reports what Allow would decide for key now, without counting anything; Remaining is the
// budget left before this hypothetical request.
func (l *Limiter) Peek(key string, limit int) Decision {
	return l.decide(key, limit, false)
}

// Reset forgets every key, as the emulator's reset route requires.
func (l *Limiter) Reset() {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		// A fresh map rather than clear: clear keeps the old map's memory.
		s.entries = make(map[string]*entry)
		s.peak = 0
		s.mu.Unlock()
	}
}

func (l *Limiter) decide(key string, limit int, count bool) Decision {
	t := l.now()
	ns := t.UnixNano()
	win := floorDiv(ns, window)
	elapsed := ns - win*window

	s := &l.shards[fnv1a(key)&(shardCount-1)]
	s.mu.Lock()
	if win > s.sweptWindow {
		s.sweep(win)
	}
	e := s.entries[key]
	var prev, curr uint64
	if e != nil {
		switch {
		case win < e.win:
			// The clock went back behind a window this key has already counted in (another
			// goroutine read a later time first, or the clock was moved). Decide at the start
			// of the newest window seen: that weights prev fully, so it never admits more than
			// the later instant would.
			win, elapsed = e.win, 0
		case win == e.win+1:
			e.prev, e.curr = e.curr, 0
			e.win = win
		case win > e.win+1:
			e.prev, e.curr = 0, 0
			e.win = win
		}
		prev, curr = e.prev, e.curr
	}

	d := Decision{Limit: limit}
	if limit >= 1 {
		lim := uint64(limit)
		d.Allowed = admits(prev, curr, lim, elapsed)
		if d.Allowed {
			if count {
				if e == nil {
					e = &entry{win: win}
					s.entries[key] = e
					if n := len(s.entries); n > s.peak {
						s.peak = n
					}
				}
				e.curr++
				curr++
			}
		} else {
			d.RetryAfter = time.Duration(retryAfter(prev, curr, lim, elapsed))
		}
		d.Remaining = remaining(prev, curr, lim, elapsed)
	} else {
		// Nothing will ever be admitted; the end of the window is the only honest point at
		// which to look again (the limit may differ by then).
		d.RetryAfter = time.Duration(window - elapsed)
	}
	s.mu.Unlock()

	d.Reset = time.Unix(0, (win+1)*window).In(t.Location())
	return d
}

// sweep forgets the entries that contribute nothing in window win, and shrinks the map when most
// of it is gone. It runs under s.mu.
func (s *shard) sweep(win int64) {
	s.sweptWindow = win
	for k, e := range s.entries {
		if win >= e.win+2 {
			delete(s.entries, k)
		}
	}
	if s.peak >= shrinkMinPeak && len(s.entries) <= s.peak/shrinkFactor {
		m := make(map[string]*entry, len(s.entries))
		for k, e := range s.entries {
			m[k] = e
		}
		s.entries = m
		s.peak = len(m)
	}
}

// admits reports whether one more request keeps the estimate within lim:
// prev*(W-elapsed)/W + curr + 1 <= lim, that is prev*(W-elapsed) <= (lim-curr-1)*W.
func admits(prev, curr, lim uint64, elapsed int64) bool {
	if curr >= lim {
		return false
	}
	return mulLessEq(prev, uint64(window-elapsed), lim-curr-1, uint64(window))
}

// remaining is floor(lim - estimate) clamped at 0, computed as lim - curr - ceil(prev weighted).
func remaining(prev, curr, lim uint64, elapsed int64) int {
	if curr >= lim {
		return 0
	}
	r := lim - curr
	w := mulDivCeil(prev, uint64(window-elapsed), uint64(window))
	if w >= r {
		return 0
	}
	return int(r - w)
}

// retryAfter is the wait in nanoseconds until a refused request would be admitted. The estimate
// only falls as time passes without requests, and is continuous across a window boundary (curr,
// weighted 1 at the end of its window, becomes prev, weighted 1 at the start of the next), so the
// wait is the first instant at which the admission inequality holds:
//
//   - if curr < lim, within the current window once the decaying prev weight is small enough:
//     prev*(W-elapsed-d) <= (lim-curr-1)*W;
//   - otherwise only after the roll-over, where curr has become prev and the new curr is 0:
//     curr*(W-e') <= (lim-1)*W, e' being the time into the next window.
//
// The caller guarantees the request was refused and lim >= 1.
func retryAfter(prev, curr, lim uint64, elapsed int64) int64 {
	left := window - elapsed // until the current window ends
	if curr < lim {
		// Refused with curr < lim implies prev > 0 and the quotient < left, so the wait is > 0.
		q := mulDivFloor(lim-curr-1, uint64(window), prev)
		return left - int64(q)
	}
	// curr >= lim >= 1, and (lim-1) < curr keeps the quotient below W.
	q := mulDivFloor(lim-1, uint64(window), curr)
	return left + window - int64(q)
}

// mulLessEq reports a*b <= c*d without overflow.
func mulLessEq(a, b, c, d uint64) bool {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	return h1 < h2 || (h1 == h2 && l1 <= l2)
}

// mulDivFloor is floor(a*b/c); the caller guarantees the quotient fits in 64 bits.
func mulDivFloor(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// mulDivCeil is ceil(a*b/c) for b <= c, so the quotient never exceeds a.
func mulDivCeil(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, r := bits.Div64(hi, lo, c)
	if r != 0 {
		q++
	}
	return q
}

// floorDiv is a/b rounded towards negative infinity, so windows stay aligned before the epoch too.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// fnv1a is the 64-bit FNV-1a hash of s, written out so that hashing a string does not allocate
// (hash/fnv needs a []byte).
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
