package ping

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/keyauth"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// report is what one ping shows.
type report struct {
	choice *keyauth.Choice
	a      attempt
}

func newReport(choice *keyauth.Choice, a attempt) report { return report{choice: choice, a: a} }

// rateLimitJSON is the rate_limit object of ping's JSON, named as in the
// verify answer (SPEC §6), read from the headers (which every answer carries).
type rateLimitJSON struct {
	Limit     int        `json:"limit"`
	Remaining int        `json:"remaining"`
	ResetAt   *time.Time `json:"reset_at"`
	Window    int        `json:"window"`
}

func rateLimitOf(resp *api.Response) *rateLimitJSON {
	if resp == nil || !resp.RateLimit.Present {
		return nil
	}
	rl := resp.RateLimit
	out := &rateLimitJSON{Limit: rl.Limit, Remaining: rl.Remaining, Window: rl.Window}
	if !rl.Reset.IsZero() {
		t := rl.Reset.UTC()
		out.ResetAt = &t
	}
	return out
}

type pingJSON struct {
	Authenticated bool           `json:"authenticated"`
	KeyID         string         `json:"key_id"`
	Environment   string         `json:"environment"`
	Permissions   []string       `json:"permissions"`
	Status        int            `json:"status"`
	LatencyMS     float64        `json:"latency_ms"`
	BaseURL       string         `json:"base_url"`
	RateLimit     *rateLimitJSON `json:"rate_limit"`
}

// authenticated reports whether the key passed authentication: answered,
// or refused only for its rate limit or a missing scope (SPEC §6 checks
// those after the key).
func (r report) authenticated() bool {
	switch {
	case r.a.verify != nil:
		return r.a.verify.Authenticated
	case r.a.status == http.StatusTooManyRequests:
		return true
	case r.a.status == http.StatusForbidden:
		var apiErr *api.Error
		return errors.As(r.a.err, &apiErr) && apiErr.ServerCode() != wire.ErrIPNotAllowed
	}
	return false
}

func (r report) identity() (id, env string, perms []string) {
	id, env, perms = r.choice.KeyID, string(r.choice.Key.Environment), []string{}
	if v := r.a.verify; v != nil {
		id, perms = v.KeyID, v.Permissions
		if v.Environment != "" {
			env = v.Environment
		}
	}
	return id, env, perms
}

func (r report) json() pingJSON {
	id, env, perms := r.identity()
	return pingJSON{
		Authenticated: r.authenticated(),
		KeyID:         id, Environment: env, Permissions: perms,
		Status: r.a.status, LatencyMS: ms(r.a.latency),
		BaseURL: r.choice.BaseURL, RateLimit: rateLimitOf(r.a.resp),
	}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*100) / 100 }

// print writes the report as text on stdout.
func (r report) print(io *ui.IOStreams) {
	cs := io.ColorScheme()
	w := io.Out
	id, env, perms := r.identity()
	status := fmt.Sprintf("(%d %s)", r.a.status, http.StatusText(r.a.status))
	switch {
	case r.a.verify != nil && r.a.verify.Authenticated:
		fmt.Fprintf(w, "%s Authenticated as %s\n", cs.SuccessIcon(), cs.Bold(id))
	case r.a.status == http.StatusTooManyRequests:
		fmt.Fprintf(w, "%s Rate limited %s\n", cs.FailureIcon(), status)
	case r.authenticated():
		fmt.Fprintf(w, "%s Permission denied %s\n", cs.FailureIcon(), status)
	default:
		fmt.Fprintf(w, "%s Not authenticated %s\n", cs.FailureIcon(), status)
	}
	rows := [][2]string{
		{"Key", apikey.Mask(r.choice.Key.Secret) + " from " + r.choice.Describe()},
		{"Environment", env},
		{"Base URL", r.choice.BaseURL + " (" + r.choice.BaseURLFrom + ")"},
	}
	if r.a.verify != nil {
		rows = append(rows, [2]string{"Permissions", strings.Join(perms, ", ")})
	}
	rows = append(rows, [2]string{"Latency", formatLatency(r.a.latency)})
	writeRows(w, cs, rows)
	printRateLimit(io, r.a.resp)
}

func writeRows(w interface{ Write([]byte) (int, error) }, cs *ui.ColorScheme, rows [][2]string) {
	width := 0
	for _, row := range rows {
		width = max(width, len(row[0]))
	}
	for _, row := range rows {
		fmt.Fprintf(w, "  %s%s  %s\n", cs.Muted(row[0]), strings.Repeat(" ", width-len(row[0])), row[1])
	}
}

// printRateLimit shows the four headers under their documented names, with
// what each means, and the usage bar.
func printRateLimit(io *ui.IOStreams, resp *api.Response) {
	cs := io.ColorScheme()
	w := io.Out
	if resp == nil || !resp.RateLimit.Present {
		fmt.Fprintln(w, cs.Muted("No rate-limit headers in the answer (a request that fails authentication does not count)"))
		return
	}
	h := resp.Header
	reset := h.Get("X-RateLimit-Reset")
	if rl := resp.RateLimit; !rl.Reset.IsZero() && !resp.Date.IsZero() {
		reset += " (in " + ui.FormatSeconds(max(rl.Reset.Sub(resp.Date), 0)) + ")"
	}
	fmt.Fprintln(w, cs.Bold("Rate limit"))
	rows := [][3]string{
		{"X-RateLimit-Limit", h.Get("X-RateLimit-Limit"), "requests allowed per window"},
		{"X-RateLimit-Remaining", h.Get("X-RateLimit-Remaining"), "requests left in this window"},
		{"X-RateLimit-Reset", reset, "when this window ends, in Unix seconds"},
		{"X-RateLimit-Window", h.Get("X-RateLimit-Window"), "window length, in seconds"},
	}
	if ra := h.Get("Retry-After"); ra != "" {
		rows = append(rows, [3]string{"Retry-After", ra, "seconds until a request is admitted again"})
	}
	vw := 0
	for _, r := range rows {
		vw = max(vw, len(r[1]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-21s  %s%s  %s\n", r[0], r[1], strings.Repeat(" ", vw-len(r[1])), cs.Muted(r[2]))
	}
	fmt.Fprintf(w, "  %-21s  %s\n", "Usage", ui.UsageBar(cs, resp.RateLimit.Remaining, resp.RateLimit.Limit))
}

func formatLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return strconv.FormatFloat(ms(d), 'f', 1, 64) + "ms"
	}
	return d.Round(time.Microsecond).String()
}

// Bursts (--count).

type requestJSON struct {
	Status    int     `json:"status"`
	LatencyMS float64 `json:"latency_ms"`
}

type latencyJSON struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	Max    float64 `json:"max"`
}

type burstJSON struct {
	Authenticated bool           `json:"authenticated"`
	KeyID         string         `json:"key_id"`
	Environment   string         `json:"environment"`
	Permissions   []string       `json:"permissions"`
	BaseURL       string         `json:"base_url"`
	Sent          int            `json:"sent"`
	OK            int            `json:"ok"`
	RateLimited   int            `json:"rate_limited"`
	LatencyMS     latencyJSON    `json:"latency_ms"`
	RateLimit     *rateLimitJSON `json:"rate_limit"`
	Requests      []requestJSON  `json:"requests"`
}

// burst sends opts.Count requests, opts.Interval apart. A 429 stops it, or
// with --wait is waited out and the request sent again.
func burst(ctx context.Context, opts *PingOptions, choice *keyauth.Choice, send func() attempt) error {
	var (
		all      []attempt
		last     attempt
		lastOK   attempt
		ok, r429 int
		failure  error
	)
	bar := opts.IO.NewProgress("ping", opts.Count)
	for ok < opts.Count {
		if len(all) > 0 && opts.Interval > 0 {
			if err := opts.Sleep(ctx, opts.Interval); err != nil {
				failure = err
				break
			}
		}
		a := send()
		if a.resp == nil {
			failure = a.err
			break
		}
		all, last = append(all, a), a
		switch {
		case a.err == nil:
			ok++
			lastOK = a
			bar.Set(ok, "")
			continue
		case a.status == http.StatusTooManyRequests:
			r429++
			if !opts.Wait {
				failure = explain(opts, choice, a)
			}
		default:
			failure = explain(opts, choice, a)
		}
		if failure != nil {
			break
		}
		bar.Finish()
		wait := waitFor(a.resp)
		if err := opts.IO.Countdown(ctx, fmt.Sprintf("rate limited after %d of %d; the window frees up in", ok, opts.Count), wait, opts.Sleep); err != nil {
			failure = err
			break
		}
		bar = opts.IO.NewProgress("ping", opts.Count)
		bar.Set(ok, "")
	}
	bar.Finish()
	if len(all) == 0 {
		return failure
	}
	id := lastOK
	if id.verify == nil {
		id = last
	}
	rep := newReport(choice, id)
	idKey, env, perms := rep.identity()
	lat := latencies(all)
	if opts.JSON {
		doc := burstJSON{
			Authenticated: rep.authenticated(),
			KeyID:         idKey, Environment: env, Permissions: perms, BaseURL: choice.BaseURL,
			Sent: len(all), OK: ok, RateLimited: r429, LatencyMS: lat, RateLimit: rateLimitOf(last.resp),
		}
		for _, a := range all {
			doc.Requests = append(doc.Requests, requestJSON{Status: a.status, LatencyMS: ms(a.latency)})
		}
		if err := ui.WriteJSON(opts.IO.Out, doc); err != nil {
			return err
		}
		return failure
	}
	cs := opts.IO.ColorScheme()
	w := opts.IO.Out
	icon := cs.SuccessIcon()
	if failure != nil {
		icon = cs.FailureIcon()
	}
	fmt.Fprintf(w, "%s Sent %s with %s to %s\n", icon, plural(len(all), "request"), keyID(choice, id), choice.BaseURL+"/auth/verify")
	others := len(all) - ok - r429
	counts := fmt.Sprintf("%d × 2xx, %d × 429", ok, r429)
	if others > 0 {
		counts += fmt.Sprintf(", %d other", others)
	}
	writeRows(w, cs, [][2]string{
		{"Key", apikey.Mask(choice.Key.Secret) + " from " + choice.Describe()},
		{"Answers", counts},
		{"Latency", fmt.Sprintf("min %s  median %s  p95 %s  max %s",
			fmtMS(lat.Min), fmtMS(lat.Median), fmtMS(lat.P95), fmtMS(lat.Max))},
	})
	printRateLimit(opts.IO, last.resp)
	return failure
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func fmtMS(v float64) string {
	if v < 1 {
		return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
}

// latencies summarises the attempts' latencies; p95 is the nearest rank.
func latencies(all []attempt) latencyJSON {
	if len(all) == 0 {
		return latencyJSON{}
	}
	ds := make([]time.Duration, len(all))
	for i, a := range all {
		ds[i] = a.latency
	}
	slices.Sort(ds)
	n := len(ds)
	median := ds[n/2]
	if n%2 == 0 {
		median = (ds[n/2-1] + ds[n/2]) / 2
	}
	rank := int(math.Ceil(0.95*float64(n))) - 1
	return latencyJSON{Min: ms(ds[0]), Median: ms(median), P95: ms(ds[max(rank, 0)]), Max: ms(ds[n-1])}
}
