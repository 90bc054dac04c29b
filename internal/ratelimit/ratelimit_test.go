package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the start of a window: a multiple of 60 s since the Unix epoch.
var t0 = time.Unix(1_700_000_040, 0).UTC()

// fakeClock is a clock the tests move by hand; it is safe for concurrent reads.
type fakeClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// admitN calls Allow n times and returns how many were admitted.
func admitN(l *Limiter, key string, limit, n int) int {
	admitted := 0
	for range n {
		if l.Allow(key, limit).Allowed {
			admitted++
		}
	}
	return admitted
}

// admitAll calls Allow until the first refusal and returns how many were admitted.
func admitAll(t *testing.T, l *Limiter, key string, limit int) int {
	t.Helper()
	for n := 0; ; n++ {
		if !l.Allow(key, limit).Allowed {
			return n
		}
		if n > 10*limit+10 {
			t.Fatalf("admitted more than %d requests under limit %d", n, limit)
		}
	}
}

func TestT0IsWindowAligned(t *testing.T) {
	if t0.UnixNano()%int64(Window) != 0 {
		t.Fatalf("t0 = %v is not a multiple of %v", t0, Window)
	}
}

func TestFreshWindowAdmitsExactlyLimitThenRefuses(t *testing.T) {
	clock := newClock(t0.Add(10 * time.Second))
	l := New(clock.now)
	const limit = 5
	for i := range limit {
		d := l.Allow("k", limit)
		if !d.Allowed {
			t.Fatalf("request %d refused in a fresh window: %+v", i+1, d)
		}
		if want := limit - i - 1; d.Remaining != want {
			t.Errorf("request %d: Remaining = %d, want %d", i+1, d.Remaining, want)
		}
		if d.Limit != limit || d.RetryAfter != 0 {
			t.Errorf("request %d: Limit = %d, RetryAfter = %v; want %d, 0", i+1, d.Limit, d.RetryAfter, limit)
		}
	}
	if d := l.Allow("k", limit); d.Allowed || d.Remaining != 0 {
		t.Fatalf("request %d = %+v, want refused with Remaining 0", limit+1, d)
	}
}

func TestPreviousWindowIsWeightedByItsPartInsideTheLastMinute(t *testing.T) {
	// A full previous window (100 of 100) leaves prev*(60-offset)/60 of the budget used at
	// offset seconds into the next window; the rest, rounded down so the estimate stays ≤ 100,
	// is admitted.
	tests := []struct {
		offset time.Duration
		want   int
	}{
		{0, 0},
		{15 * time.Second, 25},
		{20 * time.Second, 33}, // 66.67 used: the 34th would bring the estimate to 100.67
		{30 * time.Second, 50},
		{45 * time.Second, 75},
		{59 * time.Second, 98}, // 1.67 used
		{59*time.Second + 999*time.Millisecond, 99},
		{Window, 100}, // two windows later the first window no longer counts
	}
	for _, tt := range tests {
		t.Run(tt.offset.String(), func(t *testing.T) {
			clock := newClock(t0)
			l := New(clock.now)
			if got := admitN(l, "k", 100, 100); got != 100 {
				t.Fatalf("filled the first window with %d, want 100", got)
			}
			clock.set(t0.Add(Window + tt.offset))
			if got := admitAll(t, l, "k", 100); got != tt.want {
				t.Errorf("admitted %d at %v into the next window, want %d", got, tt.offset, tt.want)
			}
		})
	}
}

func TestRemainingIsFloorOfBudgetLeftAndNeverNegative(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "k", 100, 100)

	// 20 s into the next window 66.67 of the budget is used: 33 left, rounded down.
	clock.set(t0.Add(Window + 20*time.Second))
	if d := l.Peek("k", 100); d.Remaining != 33 {
		t.Errorf("Peek Remaining = %d, want 33", d.Remaining)
	}
	if d := l.Allow("k", 100); !d.Allowed || d.Remaining != 32 {
		t.Errorf("Allow = %+v, want allowed with Remaining 32", d)
	}

	// A smaller limit than the key has already used must not produce a negative count.
	for _, limit := range []int{1, 10, 50} {
		for _, d := range []Decision{l.Allow("k", limit), l.Peek("k", limit)} {
			if d.Allowed || d.Remaining != 0 {
				t.Errorf("limit %d: %+v, want refused with Remaining 0", limit, d)
			}
		}
	}
	if d := l.Allow("other", 0); d.Allowed || d.Remaining != 0 {
		t.Errorf("limit 0: %+v, want refused with Remaining 0", d)
	}
}

func TestResetIsTheEndOfTheCurrentWindow(t *testing.T) {
	tests := []struct {
		at   time.Time
		want time.Time
	}{
		{t0, t0.Add(Window)},
		{t0.Add(17 * time.Second), t0.Add(Window)},
		{t0.Add(Window - time.Nanosecond), t0.Add(Window)},
		{t0.Add(Window), t0.Add(2 * Window)},
		// Before the epoch windows are still aligned to multiples of 60 s.
		{time.Unix(-30, 0), time.Unix(0, 0)},
		{time.Unix(-61, 0), time.Unix(-60, 0)},
	}
	for _, tt := range tests {
		clock := newClock(tt.at)
		l := New(clock.now)
		for _, d := range []Decision{l.Peek("k", 1), l.Allow("k", 1), l.Allow("k", 1)} {
			if !d.Reset.Equal(tt.want) {
				t.Errorf("at %v: Reset = %v, want %v", tt.at, d.Reset, tt.want)
			}
			if d.Reset.Unix()%60 != 0 {
				t.Errorf("at %v: Reset %d is not whole minutes", tt.at, d.Reset.Unix())
			}
		}
	}
}

func TestRetryAfterWaitsForPreviousWindowToDecay(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "k", 100, 100)
	clock.set(t0.Add(Window + 30*time.Second))
	admitN(l, "k", 100, 50)

	// prev 100 weighs 50 and curr is 50: full. The next request fits once the weight of prev
	// drops to 49, i.e. when 29.4 s of the previous window remain: 0.6 s from now.
	d := l.Allow("k", 100)
	if d.Allowed {
		t.Fatalf("Allow = %+v, want refused", d)
	}
	if want := 600 * time.Millisecond; d.RetryAfter != want {
		t.Errorf("RetryAfter = %v, want %v", d.RetryAfter, want)
	}
	if got := d.RetryAfterSeconds(); got != 1 {
		t.Errorf("RetryAfterSeconds = %d, want 1 (rounded up)", got)
	}
	assertAdmittedExactlyAfter(t, l, clock, "k", 100, d.RetryAfter)
}

func TestRetryAfterSpansTheWindowRollOver(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "k", 10, 10)

	// curr is full, so nothing fits before the window ends; then the 10 become prev and fit one
	// more once their weight is 9, 6 s into the next window: 66 s from now.
	d := l.Allow("k", 10)
	if d.Allowed {
		t.Fatalf("Allow = %+v, want refused", d)
	}
	if want := 66 * time.Second; d.RetryAfter != want {
		t.Errorf("RetryAfter = %v, want %v", d.RetryAfter, want)
	}
	if got := d.RetryAfterSeconds(); got != 66 {
		t.Errorf("RetryAfterSeconds = %d, want 66", got)
	}
	assertAdmittedExactlyAfter(t, l, clock, "k", 10, d.RetryAfter)
}

func TestRetryAfterWithLimitOneWaitsUntilPreviousWindowIsGone(t *testing.T) {
	clock := newClock(t0.Add(45 * time.Second))
	l := New(clock.now)
	l.Allow("k", 1)
	d := l.Allow("k", 1)
	if want := 15*time.Second + Window; d.Allowed || d.RetryAfter != want {
		t.Fatalf("Allow = %+v, want refused with RetryAfter %v", d, want)
	}
	assertAdmittedExactlyAfter(t, l, clock, "k", 1, d.RetryAfter)
}

// TestRetryAfterIsExactForArbitraryHistories drives random request histories and, at every
// refusal, checks that a request is still refused 1 ns before RetryAfter and admitted at it.
func TestRetryAfterIsExactForArbitraryHistories(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 200 {
		clock := newClock(t0.Add(time.Duration(rng.Int64N(int64(Window)))))
		l := New(clock.now)
		limit := 1 + rng.IntN(30)
		for step := range 300 {
			clock.advance(time.Duration(rng.Int64N(int64(3 * time.Second))))
			d := l.Allow("k", limit)
			if d.Allowed {
				continue
			}
			if d.RetryAfter <= 0 || d.RetryAfter > 2*Window {
				t.Fatalf("run %d step %d: RetryAfter = %v out of (0, 2m]", run, step, d.RetryAfter)
			}
			assertAdmittedExactlyAfter(t, l, clock, "k", limit, d.RetryAfter)
		}
	}
}

// assertAdmittedExactlyAfter checks, without counting, that key is refused until wait has passed
// and admitted then, leaving the clock at now+wait.
func assertAdmittedExactlyAfter(t *testing.T, l *Limiter, clock *fakeClock, key string, limit int, wait time.Duration) {
	t.Helper()
	clock.advance(wait - time.Nanosecond)
	if d := l.Peek(key, limit); d.Allowed {
		t.Fatalf("admitted 1ns before RetryAfter %v: %+v", wait, d)
	}
	clock.advance(time.Nanosecond)
	if d := l.Peek(key, limit); !d.Allowed {
		t.Fatalf("still refused at RetryAfter %v: %+v", wait, d)
	}
}

func TestRetryAfterSecondsRoundsUpToAtLeastOne(t *testing.T) {
	tests := []struct {
		d    Decision
		want int
	}{
		{Decision{Allowed: true}, 0},
		{Decision{Allowed: false, RetryAfter: 0}, 1},
		{Decision{Allowed: false, RetryAfter: time.Nanosecond}, 1},
		{Decision{Allowed: false, RetryAfter: time.Second}, 1},
		{Decision{Allowed: false, RetryAfter: time.Second + time.Nanosecond}, 2},
		{Decision{Allowed: false, RetryAfter: 65*time.Second + 500*time.Millisecond}, 66},
	}
	for _, tt := range tests {
		if got := tt.d.RetryAfterSeconds(); got != tt.want {
			t.Errorf("%+v.RetryAfterSeconds() = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestRefusedRequestsDoNotCount(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "k", 3, 3)
	if got := admitN(l, "k", 3, 10); got != 0 {
		t.Fatalf("admitted %d over the limit", got)
	}
	// If the 10 refusals had counted, prev would be 13 and weigh 8.67 here; as 3 it weighs 2.
	clock.set(t0.Add(Window + 20*time.Second))
	if got := admitAll(t, l, "k", 3); got != 1 {
		t.Errorf("admitted %d in the next window, want 1", got)
	}
}

func TestKeysHaveIndependentBudgets(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "key_a", 2, 2)
	if d := l.Allow("key_a", 2); d.Allowed {
		t.Fatalf("key_a over its limit admitted")
	}
	for _, key := range []string{"key_b", "session:1", ""} {
		if got := admitAll(t, l, key, 2); got != 2 {
			t.Errorf("%q admitted %d, want its own 2", key, got)
		}
	}
}

func TestLimitIsTakenFromEachCall(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	if got := admitAll(t, l, "k", 5); got != 5 {
		t.Fatalf("limit 5 admitted %d", got)
	}
	// The same count measured against a larger limit leaves room for the difference.
	if got := admitAll(t, l, "k", 8); got != 3 {
		t.Errorf("raising the limit to 8 admitted %d more, want 3", got)
	}
	if d := l.Peek("k", 20); !d.Allowed || d.Remaining != 12 || d.Limit != 20 {
		t.Errorf("Peek with limit 20 = %+v, want allowed, Remaining 12, Limit 20", d)
	}
}

func TestPeekDoesNotCount(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	for range 10 {
		if d := l.Peek("k", 1); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("Peek on an unused key = %+v, want allowed with Remaining 1", d)
		}
	}
	if d := l.Allow("k", 1); !d.Allowed {
		t.Fatalf("Allow after Peeks refused: %+v", d)
	}
	for range 3 {
		d := l.Peek("k", 1)
		if d.Allowed || d.Remaining != 0 || d.RetryAfter != Window+Window {
			t.Fatalf("Peek on a full key = %+v, want refused, Remaining 0, RetryAfter 2m", d)
		}
	}
}

func TestResetForgetsEveryKey(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	for i := range 100 {
		admitN(l, fmt.Sprint("k", i), 1, 1)
	}
	l.Reset()
	if n := l.len(); n != 0 {
		t.Fatalf("%d keys tracked after Reset", n)
	}
	for i := range 100 {
		if d := l.Allow(fmt.Sprint("k", i), 1); !d.Allowed {
			t.Fatalf("k%d still limited after Reset: %+v", i, d)
		}
	}
}

func TestClockGoingBackDoesNotAdmitMore(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	admitN(l, "k", 100, 100)
	clock.set(t0.Add(Window + 30*time.Second))
	admitN(l, "k", 100, 50)

	// Read in the window before, the stale weighting (prev 100 at 1/60) would leave room.
	clock.set(t0.Add(59 * time.Second))
	d := l.Allow("k", 100)
	if d.Allowed {
		t.Fatalf("admitted after the clock went back a window: %+v", d)
	}
	if !d.Reset.Equal(t0.Add(2 * Window)) {
		t.Errorf("Reset = %v, want the end of the newest window seen %v", d.Reset, t0.Add(2*Window))
	}
}

func TestIdleKeysAreEvicted(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	// One key in every shard, so that a later call can reach each shard's sweep.
	perShard := keysCoveringEveryShard()
	for _, k := range perShard {
		l.Allow(k, 10)
	}
	// Enough idle keys that every shard passes shrinkMinPeak and must rebuild its map.
	const idle = 2 * shrinkMinPeak * shardCount
	for i := range idle {
		l.Allow(fmt.Sprint("idle-", i), 10)
	}
	if n := l.len(); n != idle+shardCount {
		t.Fatalf("tracking %d keys, want %d", n, idle+shardCount)
	}

	// One window later every key still weighs in as prev and must be kept.
	clock.set(t0.Add(Window + time.Second))
	l.Allow(perShard[0], 10)
	if n := l.len(); n != idle+shardCount {
		t.Fatalf("tracking %d keys one window later, want all %d", n, idle+shardCount)
	}
	for _, k := range perShard[1:] {
		l.Allow(k, 10) // active in windows 0 and 1
	}

	// Two windows later only the per-shard keys, used in window 1, still count.
	clock.set(t0.Add(2*Window + time.Second))
	for _, k := range perShard {
		if d := l.Peek(k, 10); d.Remaining != 9 {
			t.Fatalf("%q lost its previous-window count: Remaining %d, want 9", k, d.Remaining)
		}
	}
	if n := l.len(); n != shardCount {
		t.Errorf("tracking %d keys after the idle ones expired, want %d", n, shardCount)
	}
	// Go maps keep the memory of deleted entries; a shard that shrank must have rebuilt its map.
	for i := range l.shards {
		if s := &l.shards[i]; s.peak != len(s.entries) {
			t.Errorf("shard %d: map not rebuilt after shrinking to %d entries (peak %d)", i, len(s.entries), s.peak)
		}
	}
}

// keysCoveringEveryShard returns one key per shard, index i hashing to shard i.
func keysCoveringEveryShard() []string {
	keys := make([]string, shardCount)
	found := 0
	for i := 0; found < shardCount; i++ {
		k := fmt.Sprint("live-", i)
		if s := fnv1a(k) & (shardCount - 1); keys[s] == "" {
			keys[s] = k
			found++
		}
	}
	return keys
}

// len is the number of keys tracked, for tests.
func (l *Limiter) len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}

func TestConcurrentAllowAdmitsExactlyLimit(t *testing.T) {
	const (
		limit      = 500
		goroutines = 32
		perG       = 100
	)
	clock := newClock(t0.Add(30 * time.Second)) // frozen: one window
	l := New(clock.now)
	var (
		admitted atomic.Int64
		seen     [limit]atomic.Int32 // how often each Remaining value was handed out
		start    = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range goroutines {
		wg.Go(func() {
			<-start
			for range perG {
				d := l.Allow("lineage", limit)
				if d.Allowed {
					admitted.Add(1)
					seen[d.Remaining].Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if got := admitted.Load(); got != limit {
		t.Fatalf("admitted %d of %d concurrent requests, want exactly %d", got, goroutines*perG, limit)
	}
	// Every admission saw a distinct count: no two goroutines read the same state.
	for r := range seen {
		if n := seen[r].Load(); n != 1 {
			t.Errorf("Remaining %d reported %d times, want once", r, n)
		}
	}
}

func TestAllowOnKnownKeyDoesNotAllocate(t *testing.T) {
	clock := newClock(t0)
	l := New(clock.now)
	l.Allow("key_abcdefghijkl", 1_000_000)
	// The clock moves 7 s per call so window roll-overs and shard sweeps are exercised too.
	for name, f := range map[string]func(){
		"Allow": func() { l.Allow("key_abcdefghijkl", 1_000_000) },
		"Peek":  func() { l.Peek("key_abcdefghijkl", 1_000_000) },
		"Allow refused": func() {
			l.Allow("key_abcdefghijkl", 1)
		},
	} {
		if allocs := testing.AllocsPerRun(1000, func() { clock.advance(7 * time.Second); f() }); allocs != 0 {
			t.Errorf("%s allocates %.1f times per call, want 0", name, allocs)
		}
	}
}

func BenchmarkLimiter(b *testing.B) {
	b.Run("single-key", func(b *testing.B) {
		clock := newClock(t0)
		l := New(clock.now)
		l.Allow("key_abcdefghijkl", 1<<40)
		b.ReportAllocs()
		for b.Loop() {
			l.Allow("key_abcdefghijkl", 1<<40)
		}
	})
	b.Run("parallel-many-keys", func(b *testing.B) {
		clock := newClock(t0)
		l := New(clock.now)
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = fmt.Sprintf("key_%012d", i)
			l.Allow(keys[i], 1<<40)
		}
		var seed atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(7919))
			for pb.Next() {
				l.Allow(keys[i%len(keys)], 1<<40)
				i++
			}
		})
	})
}
