package ping

import (
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
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// report is what one answer of a ping shows.
type report struct {
	choice *resolve.Choice
	asked  []string // --permission
	a      attempt
}

func newReport(opts *PingOptions, choice *resolve.Choice, a attempt) report {
	return report{choice: choice, asked: opts.Permissions, a: a}
}

// rateLimitJSON is the rate_limit object of ping's JSON, named as in the
// verify answer (docs/api.md), read from the headers (which every answer carries).
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

// pingJSON is ping's JSON, one shape for any --count: who the key is and
// what it holds (from the last 2xx, else the last answer), the status and
// latency of the last answer, its rate-limit headers, a summary of every
// request, and the requests themselves.
type pingJSON struct {
	Authenticated bool     `json:"authenticated"`
	KeyID         string   `json:"key_id"`
	Environment   string   `json:"environment"`
	Permissions   []string `json:"permissions"`
	// MissingPermissions are the --permission scopes the key lacks: [] when
	// it holds them all, null when the answer did not say (a 401, a 429).
	MissingPermissions []string `json:"missing_permissions"`
	// ExpiresAt is when the key expires, from a verify answer; null when
	// there was none (a 401, a 429).
	ExpiresAt *time.Time     `json:"expires_at"`
	Status    int            `json:"status"`
	LatencyMS float64        `json:"latency_ms"`
	BaseURL   string         `json:"base_url"`
	RateLimit *rateLimitJSON `json:"rate_limit"`
	Summary   summaryJSON    `json:"summary"`
	Requests  []requestJSON  `json:"requests"`
}

type summaryJSON struct {
	Requests    int         `json:"requests"`
	OK          int         `json:"ok"`
	RateLimited int         `json:"rate_limited"`
	LatencyMS   latencyJSON `json:"latency_ms"`
}

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

func jsonOf(opts *PingOptions, choice *resolve.Choice, out outcome) pingJSON {
	last := out.last()
	rep := newReport(opts, choice, out.identity())
	id, env, perms, _ := rep.identity()
	doc := pingJSON{
		Authenticated: rep.authenticated(),
		KeyID:         id, Environment: env, Permissions: perms,
		MissingPermissions: missingOf(opts.Permissions, out.identity()),
		ExpiresAt:          expiresOf(out.identity()),
		Status:             last.status, LatencyMS: ms(last.latency),
		BaseURL: choice.BaseURL, RateLimit: rateLimitOf(last.resp),
		Summary:  summaryJSON{Requests: len(out.all), OK: out.ok, RateLimited: out.r429, LatencyMS: latencies(out.all)},
		Requests: make([]requestJSON, 0, len(out.all)),
	}
	for _, a := range out.all {
		doc.Requests = append(doc.Requests, requestJSON{Status: a.status, LatencyMS: ms(a.latency)})
	}
	return doc
}

// authenticated reports whether the key passed authentication: answered,
// or refused only for its rate limit or a missing scope (docs/api.md#verifying-an-api-key checks
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

// identity is the key's id, environment and the scopes it holds; known is
// false when the answer did not say which scopes (perms is then empty).
func (r report) identity() (id, env string, perms []string, known bool) {
	id, env, perms = r.choice.KeyID, string(r.choice.Key.Environment), []string{}
	if v := r.a.verify; v != nil && v.KeyID != "" {
		id = v.KeyID
	}
	if v := r.a.verify; v != nil && v.Environment != "" {
		env = v.Environment
	}
	if held, ok := heldOf(r.a); ok {
		perms, known = held, true
		if perms == nil {
			perms = []string{}
		}
	}
	return id, env, perms, known
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*100) / 100 }

// print writes the report as text on stdout.
func (r report) print(io *ui.IOStreams) {
	cs := io.ColorScheme()
	w := io.Out
	id, env, perms, known := r.identity()
	status := fmt.Sprintf("(%d %s)", r.a.status, http.StatusText(r.a.status))
	switch {
	case r.a.verify != nil && r.a.verify.Authenticated:
		fmt.Fprintf(w, "%s Authenticated as %s\n", cs.SuccessIcon(), cs.Bold(ui.SingleLine(id)))
	case r.a.status == http.StatusTooManyRequests:
		fmt.Fprintf(w, "%s Rate limited %s\n", cs.FailureIcon(), status)
	case r.authenticated():
		fmt.Fprintf(w, "%s Permission denied %s\n", cs.FailureIcon(), status)
	default:
		fmt.Fprintf(w, "%s Not authenticated %s\n", cs.FailureIcon(), status)
	}
	rows := []ui.Field{
		{Label: "Key", Value: apikey.Mask(r.choice.Key.Secret) + " from " + r.choice.Describe()},
		{Label: "Environment", Value: env},
		{Label: "Base URL", Value: r.choice.BaseURL + " (" + r.choice.BaseURLFrom + ")"},
	}
	if known {
		rows = append(rows, ui.Field{Label: "Permissions", Value: orNone(strings.Join(perms, ", "))})
	}
	if missing := missingOf(r.asked, r.a); len(missing) > 0 {
		rows = append(rows, ui.Field{Label: "Missing", Value: strings.Join(missing, ", "), Style: cs.Failure})
	}
	rows = append(rows, ui.Field{Label: "Latency", Value: formatLatency(r.a.latency)})
	writeRows(w, cs, rows)
	printRateLimit(io, r.a.resp)
}

// writeRows draws rows indented under the report's first line, through
// ui.RenderFields, which keeps the server's values inert.
func writeRows(w interface{ Write([]byte) (int, error) }, cs *ui.ColorScheme, rows []ui.Field) {
	for _, line := range strings.Split(ui.RenderFields(cs, rows), "\n") {
		fmt.Fprintf(w, "  %s\n", line)
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
	// Header values are the server's text: cleaned before they are drawn.
	header := func(name string) string { return ui.SingleLine(resp.Header.Get(name)) }
	reset := header("X-RateLimit-Reset")
	if rl := resp.RateLimit; !rl.Reset.IsZero() && !resp.Date.IsZero() {
		reset += " (in " + ui.FormatSeconds(max(rl.Reset.Sub(resp.Date), 0)) + ")"
	}
	// The limiter slides (docs/api.md): Reset is where the current fixed window
	// ends, not when requests come back; a 429's Retry-After says that.
	ra := header("Retry-After")
	resetMeaning := "end of the current fixed window (the limit slides)"
	if ra != "" {
		resetMeaning = "end of the current fixed window (the limit slides, see Retry-After)"
	}
	fmt.Fprintln(w, cs.Bold("Rate limit"))
	rows := [][3]string{
		{"X-RateLimit-Limit", header("X-RateLimit-Limit"), "requests allowed per window"},
		{"X-RateLimit-Remaining", header("X-RateLimit-Remaining"), "requests left in this window"},
		{"X-RateLimit-Reset", reset, resetMeaning},
		{"X-RateLimit-Window", header("X-RateLimit-Window"), "window length, in seconds"},
	}
	if ra != "" {
		rows = append(rows, [3]string{"Retry-After", ra, "seconds until the next request is admitted"})
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

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
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

// printBurst reports a --count run as text.
func printBurst(opts *PingOptions, choice *resolve.Choice, out outcome) {
	cs := opts.IO.ColorScheme()
	w := opts.IO.Out
	icon := cs.SuccessIcon()
	if out.failure != nil {
		icon = cs.FailureIcon()
	}
	lat := latencies(out.all)
	fmt.Fprintf(w, "%s Sent %s with %s to %s\n", icon, ui.Plural(len(out.all), "request"), ui.SingleLine(keyID(choice, out.identity())), choice.BaseURL+"/auth/verify")
	others := len(out.all) - out.ok - out.r429
	counts := fmt.Sprintf("%d × 2xx, %d × 429", out.ok, out.r429)
	if others > 0 {
		counts += fmt.Sprintf(", %d other", others)
	}
	writeRows(w, cs, []ui.Field{
		{Label: "Key", Value: apikey.Mask(choice.Key.Secret) + " from " + choice.Describe()},
		{Label: "Answers", Value: counts},
		{Label: "Latency", Value: fmt.Sprintf("min %s  median %s  p95 %s  max %s",
			fmtMS(lat.Min), fmtMS(lat.Median), fmtMS(lat.P95), fmtMS(lat.Max))},
	})
	printRateLimit(opts.IO, out.last().resp)
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

// expiresOf is when the key of a verify answer expires; nil without one.
func expiresOf(a attempt) *time.Time {
	if a.verify == nil || a.verify.ExpiresAt.IsZero() {
		return nil
	}
	t := a.verify.ExpiresAt.UTC()
	return &t
}
