// Package ping is `zupy ping`: check an API key against GET /auth/verify and
// show its rate-limit headers (docs/cli/zupy_ping.md).
package ping

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// maxCount bounds --count: a burst, not a load test.
const maxCount = 10000

// PingOptions are what `zupy ping` uses.
type PingOptions struct {
	IO *ui.IOStreams
	// ChooseKey finds the key and base URL (resolve.Key).
	ChooseKey func(ctx context.Context, keyID string) (*resolve.Choice, error)
	// NewClient returns a client of the base URL.
	NewClient func(baseURL string) (*api.Client, error)
	// Sleep waits between requests and through --wait; tests inject one
	// that moves the emulator's clock instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	JSON  bool

	KeyID       string
	Permissions []string
	Count       int
	Interval    time.Duration
	Wait        bool
	// WaitMax bounds the time --wait spends waiting in all: a server that
	// refuses every request must not hold ping forever.
	WaitMax time.Duration
	// WarnExpiry notes on stderr a key that expires within 7 days
	// (resolve.WarnExpiry), from the verify answer's expires_at.
	WarnExpiry func(c *resolve.Choice, keyID string, expiresAt, now time.Time)
}

// NewCmdPing returns `zupy ping`; runF replaces the run in tests.
func NewCmdPing(f *cmdutil.Factory, runF func(*PingOptions) error) *cobra.Command {
	opts := &PingOptions{
		IO:         f.IOStreams,
		ChooseKey:  f.Resolve.Key,
		NewClient:  f.ClientFor,
		Sleep:      f.Sleep,
		WarnExpiry: f.Resolve.WarnExpiry,
	}
	if opts.Sleep == nil {
		opts.Sleep = api.Sleep
	}
	var perms []string
	cmd := &cobra.Command{
		Use:   "ping [--key-id ID] [--permission SCOPE]... [--count N [--interval D] [--wait]]",
		Short: "Check an API key and show its rate-limit headers",
		Long: `Call GET /auth/verify with an API key and show whether it authenticates, the
latency, the key id, its environment and permissions, and the four rate-limit
headers with what each means, with a bar of the requests left in the window.

The key is --key-id (a saved key) if given, else ZUPY_API_KEY, else the
profile's default key (default_key_id). The base URL is --base-url, else
ZUPY_BASE_URL, else the profile's base_url or environment, else the API of the
key's own environment (zup_live_sk_ → production, zup_test_sk_ → staging). A
key whose environment contradicts the profile's environment setting is refused
before anything is sent, unless the base URL is named for this run.

--permission asks the server whether the key holds a scope (repeatable, or
comma-separated); a missing one exits 4 and is named next to the scopes the
key does hold.

--count N sends N requests, --interval apart (default 0), with a progress bar
on a terminal, and reports the latency (min, median, p95, max), how many were
answered 2xx and 429, and the last rate-limit headers. The limit slides over
the window (the previous window still counts in part), so X-RateLimit-Reset,
the end of the current fixed window, is not when requests come back: a 429's
Retry-After is.

ping never retries on its own (--retries does not apply to it): on a 429 it
stops (exit 5) and says when a request will be admitted again; with --wait it
waits that long in real time, counting down, sends again, and waits again if
the server still refuses, up to --wait-max in all (default 3m): a wait that
would go past it ends the ping with exit 5.

With -o json the document has the same fields for any --count:
authenticated, key_id, environment, permissions (the scopes the key holds),
missing_permissions (the --permission scopes it lacks; null when the answer
did not say), expires_at (when the key expires, by the server; null when the
answer did not say), status and latency_ms of the last answer, base_url, rate_limit
{limit, remaining, reset_at, window} of the last answer, summary {requests, ok,
rate_limited, latency_ms {min, median, p95, max}}, and requests [{status,
latency_ms}].`,
		Example: `  ZUPY_API_KEY=$KEY zupy ping
  zupy ping --key-id key_0123456789ab --permission loyalty:read,coupons:validate
  zupy ping --count 20 --interval 100ms
  zupy ping --count 150 --wait -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if err := opts.parse(cmd, perms); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return pingRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.KeyID, "key-id", "", "Saved key to use, its `KEY_ID` (default: ZUPY_API_KEY, then the profile's default key)")
	fl.StringSliceVar(&perms, "permission", nil, "Check that the key holds `SCOPE` (repeatable or comma-separated)")
	fl.IntVar(&opts.Count, "count", 1, "Send `N` requests and summarise them")
	fl.DurationVar(&opts.Interval, "interval", 0, "Pause between requests with --count, a `DURATION` (e.g. 100ms, 1s)")
	fl.BoolVar(&opts.Wait, "wait", false, "On a 429, wait as the server says (with a countdown) and go on")
	fl.DurationVar(&opts.WaitMax, "wait-max", defaultWaitMax, "With --wait, wait at most this `DURATION` in all, then exit 5")
	// ping never retries (a 429 is what it reports): the global --retries
	// is shadowed by a hidden flag of no effect, out of its help and docs.
	fl.Int("retries", 0, "No effect: ping never retries")
	_ = fl.MarkHidden("retries")
	_ = cmd.RegisterFlagCompletionFunc("key-id", f.Resolve.CompleteSavedKeyIDs)
	cmdutil.RegisterScopeCompletion(cmd, "permission")
	return cmd
}

func (o *PingOptions) parse(cmd *cobra.Command, perms []string) error {
	if len(perms) > 0 {
		norm, err := scope.Normalize(perms)
		if err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("invalid --permission: %w", err)}
		}
		o.Permissions = norm
	}
	if o.Count < 1 || o.Count > maxCount {
		return cmdutil.Usagef("invalid --count %d: must be between 1 and %d", o.Count, maxCount)
	}
	if cmd.Flags().Changed("wait-max") {
		if !o.Wait {
			return cmdutil.WithHint(&cmdutil.UsageError{Err: errors.New("--wait-max bounds --wait: add --wait")}, "Example: zupy ping --count 150 --wait --wait-max 5m")
		}
		if o.WaitMax <= 0 {
			return cmdutil.Usagef("invalid --wait-max %s: must be positive", o.WaitMax)
		}
	}
	if o.Interval < 0 {
		return cmdutil.Usagef("invalid --interval %s: must not be negative", o.Interval)
	}
	if o.Count == 1 && cmd.Flags().Changed("interval") {
		return cmdutil.WithHint(&cmdutil.UsageError{Err: errors.New("--interval needs --count greater than 1")}, "Example: zupy ping --count 10 --interval 500ms")
	}
	return nil
}

// attempt is one request of a ping.
type attempt struct {
	status  int
	latency time.Duration
	resp    *api.Response
	verify  *api.Verification
	err     error
}

func pingRun(ctx context.Context, opts *PingOptions) error {
	choice, err := opts.ChooseKey(ctx, opts.KeyID)
	if err != nil {
		return err
	}
	client, err := opts.NewClient(choice.BaseURL)
	if err != nil {
		return err
	}
	send := func() attempt {
		v, resp, err := client.Verify(ctx, choice.Key.Secret, opts.Permissions, true)
		a := attempt{resp: resp, verify: v, err: err}
		if resp != nil {
			a.status, a.latency = resp.Status, resp.Latency
		}
		return a
	}
	return finish(opts, choice, run(ctx, opts, choice, send))
}

// outcome is what a ping sent and got.
type outcome struct {
	all      []attempt // every answered request, in order
	ok, r429 int
	waited   time.Duration // waiting out 429s (--wait)
	lastOK   attempt
	failure  error // what ended it early, nil when all opts.Count were answered 2xx
}

// last is the last answer.
func (o outcome) last() attempt { return o.all[len(o.all)-1] }

// identity is the answer that best tells who the key is: the last 2xx,
// else the last answer.
func (o outcome) identity() attempt {
	if o.lastOK.verify != nil {
		return o.lastOK
	}
	return o.last()
}

// run sends opts.Count requests, opts.Interval apart. A 429 stops it, or
// with --wait is waited out (in real time, as the server's Retry-After
// says) and the request sent again, waiting again if it is still refused.
func run(ctx context.Context, opts *PingOptions, choice *resolve.Choice, send func() attempt) outcome {
	var out outcome
	var bar *ui.Progress // a single request shows the client's spinner instead
	newBar := func() {
		if opts.Count > 1 {
			bar = opts.IO.NewProgress("ping", opts.Count)
			bar.Set(out.ok, "")
		}
	}
	endBar := func() {
		if bar != nil {
			bar.Finish()
		}
	}
	newBar()
	defer endBar()
	for out.ok < opts.Count {
		if len(out.all) > 0 && opts.Interval > 0 {
			if err := opts.Sleep(ctx, opts.Interval); err != nil {
				out.failure = err
				break
			}
		}
		a := send()
		if a.resp == nil {
			out.failure = a.err
			break
		}
		out.all = append(out.all, a)
		switch {
		case a.err == nil:
			out.ok++
			out.lastOK = a
			if bar != nil {
				bar.Set(out.ok, "")
			}
			continue
		case a.status == http.StatusTooManyRequests:
			out.r429++
			if !opts.Wait {
				out.failure = explain(opts, choice, a)
			}
		default:
			out.failure = explain(opts, choice, a)
		}
		if out.failure != nil {
			break
		}
		endBar()
		label := "rate limited; a request will be admitted again in"
		if opts.Count > 1 {
			label = fmt.Sprintf("rate limited after %d of %d; a request will be admitted again in", out.ok, opts.Count)
		}
		wait := waitFor(a.resp)
		if out.waited+wait > opts.WaitMax {
			out.failure = cmdutil.WithHint(a.err, fmt.Sprintf("Still rate limited after waiting %s; the next wait (%s) would pass --wait-max %s. A request will be admitted again %s",
				ui.FormatSeconds(out.waited), ui.FormatSeconds(wait), opts.WaitMax, freesUp(a.resp)))
			break
		}
		if err := opts.IO.Countdown(ctx, label, wait, opts.Sleep); err != nil {
			out.failure = err
			break
		}
		out.waited += wait
		newBar()
	}
	return out
}

// finish prints what a ping got and returns its error.
func finish(opts *PingOptions, choice *resolve.Choice, out outcome) error {
	if len(out.all) == 0 {
		return out.failure // no answer: a network error, or interrupted
	}
	if v, resp := out.lastOK.verify, out.lastOK.resp; v != nil && resp != nil && opts.WarnExpiry != nil {
		defer opts.WarnExpiry(choice, v.KeyID, v.ExpiresAt, resp.ServerNow(time.Now()))
	}
	if opts.JSON {
		if err := ui.WriteJSON(opts.IO.Out, jsonOf(opts, choice, out)); err != nil {
			return err
		}
		return out.failure
	}
	if opts.Count == 1 {
		newReport(opts, choice, out.last()).print(opts.IO)
	} else {
		printBurst(opts, choice, out)
	}
	return out.failure
}

// explain turns a refused request into the command's error.
func explain(opts *PingOptions, choice *resolve.Choice, a attempt) error {
	if a.err == nil {
		return nil
	}
	var apiErr *api.Error
	if !errors.As(a.err, &apiErr) {
		return a.err
	}
	switch apiErr.Kind() {
	case api.KindAuth:
		return cmdutil.WithHint(a.err, "The key from "+choice.Describe()+" was refused: it is unknown, expired or revoked (`zupy keys list --status all` shows which)")
	case api.KindPermission:
		missing := missingOf(opts.Permissions, a)
		if len(missing) == 0 {
			return a.err // IP not allowed, or a 403 that names no scope
		}
		id := keyID(choice, a)
		return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindPermission, Code: apiErr.Code,
			Msg: fmt.Sprintf("%s does not hold %s", id, strings.Join(missing, ", "))},
			fmt.Sprintf("Add it with `zupy keys update %s --add-scope %s`", idOrKey(id), strings.Join(missing, ",")))
	case api.KindRateLimited:
		return cmdutil.WithHint(a.err, "A request will be admitted again "+freesUp(a.resp)+"; rerun with --wait to wait for it")
	}
	return a.err
}

// heldOf is the scopes the key holds as one answer says: the verify body's
// permissions, or a scope refusal's details.current_permissions; ok is
// false when the answer does not say (a 401, a 429, an IP refusal).
func heldOf(a attempt) (held []string, ok bool) {
	if a.verify != nil {
		return a.verify.Permissions, true
	}
	var apiErr *api.Error
	if a.status != http.StatusForbidden || !errors.As(a.err, &apiErr) || apiErr.ServerCode() == wire.ErrIPNotAllowed {
		return nil, false
	}
	v, present := apiErr.Details[wire.DetailCurrentPermissions]
	return stringList(v), present
}

// missingOf is which of the asked scopes the key lacks as one answer says:
// empty (not nil) when it holds them all, nil when the answer does not say.
func missingOf(asked []string, a attempt) []string {
	if a.verify != nil {
		return []string{}
	}
	held, ok := heldOf(a)
	missing := []string{}
	if ok {
		for _, p := range asked {
			if !slices.Contains(held, p) {
				missing = append(missing, p)
			}
		}
	}
	var apiErr *api.Error
	if len(missing) == 0 && a.status == http.StatusForbidden && errors.As(a.err, &apiErr) {
		if p, found := apiErr.Details[wire.DetailRequiredPermission].(string); found && p != "" {
			missing = append(missing, p)
		}
	}
	if !ok && len(missing) == 0 {
		return nil
	}
	return missing
}

func keyID(choice *resolve.Choice, a attempt) string {
	switch {
	case a.verify != nil && a.verify.KeyID != "":
		return a.verify.KeyID
	case choice.KeyID != "":
		return choice.KeyID
	}
	return "the key from " + choice.Source
}

func idOrKey(id string) string {
	if strings.HasPrefix(id, "key_") {
		return id
	}
	return "KEY_ID"
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// defaultWaitMax is --wait-max: a few windows of the Zupy rate limit (one
// minute, docs/api.md#rate-limits).
const defaultWaitMax = 3 * time.Minute

// waitFor is how long the server says to wait after a 429: Retry-After, else
// X-RateLimit-Reset minus the server's Date, else a second.
func waitFor(resp *api.Response) time.Duration {
	rl := resp.RateLimit
	if rl.RetryAfter > 0 {
		return rl.RetryAfter
	}
	if !rl.Reset.IsZero() && !resp.Date.IsZero() && rl.Reset.After(resp.Date) {
		return rl.Reset.Sub(resp.Date)
	}
	return time.Second
}

// freesUp says when a rate-limited key may send again: "in 37s (at 12:00:37Z)".
func freesUp(resp *api.Response) string {
	if resp == nil {
		return "soon"
	}
	d := waitFor(resp)
	s := "in " + ui.FormatSeconds(d)
	if !resp.Date.IsZero() {
		s += " (at " + resp.Date.Add(d).UTC().Format(time.RFC3339) + ")"
	}
	return s
}
