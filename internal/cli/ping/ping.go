// Package ping is `zupy ping`: check an API key against GET /auth/verify and
// show its rate-limit headers (SPEC §4).
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
	"github.com/zupy/zupy-cli/internal/cli/keyauth"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// maxCount bounds --count: a burst, not a load test.
const maxCount = 10000

// PingOptions are what `zupy ping` uses.
type PingOptions struct {
	IO *ui.IOStreams
	// ChooseKey finds the key and base URL (keyauth.Choose).
	ChooseKey func(ctx context.Context, keyID string) (*keyauth.Choice, error)
	// NewClient returns a client of the base URL.
	NewClient func(baseURL string) *api.Client
	// Sleep waits between requests and through --wait; tests inject one
	// that moves the emulator's clock instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	JSON  bool

	KeyID       string
	Permissions []string
	Count       int
	Interval    time.Duration
	Wait        bool
}

// NewCmdPing returns `zupy ping`; runF replaces the run in tests.
func NewCmdPing(f *cmdutil.Factory, runF func(*PingOptions) error) *cobra.Command {
	opts := &PingOptions{
		IO: f.IOStreams,
		ChooseKey: func(ctx context.Context, keyID string) (*keyauth.Choice, error) {
			return keyauth.Choose(ctx, keyauth.FromFactory(f), keyID)
		},
		NewClient: f.ClientFor,
		Sleep:     f.Sleep,
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
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
comma-separated); a missing one exits 4 and names it.

--count N sends N requests, --interval apart (default 0), with a progress bar
on a terminal, and reports the latency (min, median, p95, max), how many were
answered 2xx and 429, and the last rate-limit headers. ping never retries on its
own: on a 429 it stops (exit 5) and says when the window frees up; with --wait
it waits as the server says, counting down, and goes on.`,
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
	fl.StringVar(&opts.KeyID, "key-id", "", "Saved key to use (default: ZUPY_API_KEY, then the profile's default key)")
	fl.StringSliceVar(&perms, "permission", nil, "Check that the key holds `SCOPE` (repeatable or comma-separated)")
	fl.IntVar(&opts.Count, "count", 1, "Send N requests and summarise them")
	fl.DurationVar(&opts.Interval, "interval", 0, "Pause between requests with --count (e.g. 100ms, 1s)")
	fl.BoolVar(&opts.Wait, "wait", false, "On a 429, wait as the server says (with a countdown) and go on")
	_ = cmd.RegisterFlagCompletionFunc("key-id", keyauth.CompleteSavedKeyIDs(func() keyauth.Deps { return keyauth.FromFactory(f) }))
	_ = cmd.RegisterFlagCompletionFunc("permission", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeScopeList(toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
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
	if o.Interval < 0 {
		return cmdutil.Usagef("invalid --interval %s: must not be negative", o.Interval)
	}
	if o.Count == 1 && cmd.Flags().Changed("interval") {
		return cmdutil.WithHint(&cmdutil.UsageError{Err: errors.New("--interval needs --count greater than 1")}, "Example: zupy ping --count 10 --interval 500ms")
	}
	return nil
}

// completeScopeList completes the scope after the last comma of toComplete,
// keeping what comes before it and leaving out scopes already listed (as
// keys does for --scopes).
func completeScopeList(toComplete string) []string {
	prefix, cur := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		prefix, cur = toComplete[:i+1], toComplete[i+1:]
	}
	given := strings.Split(prefix, ",")
	var out []string
	for _, s := range scope.Catalog {
		if strings.HasPrefix(s.Name, strings.TrimSpace(cur)) && !slices.Contains(given, s.Name) {
			out = append(out, prefix+s.Name+"\t"+s.Description)
		}
	}
	return out
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
	client := opts.NewClient(choice.BaseURL)
	send := func() attempt {
		v, resp, err := client.Verify(ctx, choice.Key.Secret, opts.Permissions, true)
		a := attempt{resp: resp, verify: v, err: err}
		if resp != nil {
			a.status, a.latency = resp.Status, resp.Latency
		}
		return a
	}
	if opts.Count > 1 {
		return burst(ctx, opts, choice, send)
	}
	a := send()
	for opts.Wait && a.status == http.StatusTooManyRequests {
		if err := opts.IO.Countdown(ctx, "rate limited; the window frees up in", waitFor(a.resp), opts.Sleep); err != nil {
			return err
		}
		a = send()
	}
	return single(opts, choice, a)
}

// single reports one request.
func single(opts *PingOptions, choice *keyauth.Choice, a attempt) error {
	if a.resp == nil {
		return a.err // no answer: a network error
	}
	r := newReport(choice, a)
	if opts.JSON {
		if err := ui.WriteJSON(opts.IO.Out, r.json()); err != nil {
			return err
		}
	} else {
		r.print(opts.IO)
	}
	return explain(opts, choice, a)
}

// explain turns a refused request into the command's error.
func explain(opts *PingOptions, choice *keyauth.Choice, a attempt) error {
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
		if apiErr.ServerCode() == wire.ErrIPNotAllowed {
			return a.err
		}
		held := stringList(apiErr.Details[wire.DetailCurrentPermissions])
		var missing []string
		for _, p := range opts.Permissions {
			if !slices.Contains(held, p) {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			if p, ok := apiErr.Details[wire.DetailRequiredPermission].(string); ok {
				missing = []string{p}
			}
		}
		id := keyID(choice, a)
		return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindPermission, Code: apiErr.Code,
			Msg: fmt.Sprintf("%s does not hold %s", id, strings.Join(missing, ", "))},
			fmt.Sprintf("Add it with `zupy keys update %s --add-scope %s`", idOrKey(id), strings.Join(missing, ",")))
	case api.KindRateLimited:
		return cmdutil.WithHint(a.err, "The window frees up "+freesUp(a.resp)+"; rerun with --wait to wait for it")
	}
	return a.err
}

func keyID(choice *keyauth.Choice, a attempt) string {
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

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
