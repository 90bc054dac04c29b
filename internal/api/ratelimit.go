package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimitHeaders are the X-RateLimit-* and Retry-After headers of a
// response. A header that is absent or malformed leaves its field zero.
type RateLimitHeaders struct {
	Present    bool // any X-RateLimit-* header was sent
	Limit      int
	Remaining  int
	Window     int // seconds
	Reset      time.Time
	RetryAfter time.Duration // 0 if no Retry-After header
}

func parseRateLimit(h http.Header, date time.Time, now func() time.Time) RateLimitHeaders {
	var rl RateLimitHeaders
	intHeader := func(name string, dst *int, most int) {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			return
		}
		rl.Present = true
		if n, err := strconv.Atoi(v); err == nil {
			*dst = min(max(n, 0), most)
		}
	}
	intHeader("X-RateLimit-Limit", &rl.Limit, maxRateCount)
	intHeader("X-RateLimit-Remaining", &rl.Remaining, maxRateCount)
	intHeader("X-RateLimit-Window", &rl.Window, int(MaxServerWait/time.Second))
	var reset int
	intHeader("X-RateLimit-Reset", &reset, math.MaxInt)
	ref := date
	if ref.IsZero() {
		ref = now()
	}
	if reset > 0 {
		// A reset further than a day away is not a rate limit's window:
		// it is read as a day, which also keeps the time printable
		// (JSON has no year 292277026596).
		rl.Reset = time.Unix(min(int64(reset), ref.Add(MaxServerWait).Unix()), 0).UTC()
	}
	if d, ok := parseRetryAfter(h.Get("Retry-After"), date, now); ok {
		rl.RetryAfter = min(d, MaxServerWait)
	}
	return rl
}

// What the client believes of a server's rate-limit headers: counts up to a
// billion, waits and resets up to a day away. Beyond, a header is clamped,
// so that a hostile or broken server cannot make zupy print nonsense or fail
// to write its JSON (docs/api.md#rate-limits).
const (
	maxRateCount  = 1_000_000_000
	MaxServerWait = 24 * time.Hour
)

// parseRetryAfter reads a Retry-After value: delta seconds, or an HTTP date
// taken relative to the server's Date (or now when it sent none). A date in
// the past means no wait.
func parseRetryAfter(v string, date time.Time, now func() time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return seconds(float64(secs)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	ref := date
	if ref.IsZero() {
		ref = now()
	}
	return max(t.Sub(ref), 0), true
}

// detailSeconds reads a number of seconds from details[key], as a JSON number
// or a numeric string.
func detailSeconds(details map[string]any, key string) (time.Duration, bool) {
	var f float64
	switch v := details[key].(type) {
	case float64:
		f = v
	case string:
		parsed, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "s")), 64)
		if err != nil {
			return 0, false
		}
		f = parsed
	default:
		return 0, false
	}
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return seconds(f), true
}

// seconds converts s to a Duration, saturating instead of overflowing.
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s * float64(time.Second))
}
