package keys

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	keyscan "github.com/zupy/zupy-cli/internal/cli/keys/scan"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// AuditOptions is what `keys audit` uses.
type AuditOptions struct {
	IO       *ui.IOStreams
	Now      func() time.Time
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)
	Profile  string
	Output   string // text, json or markdown

	Since    time.Duration
	MaxAge   time.Duration
	FailOn   severity // 0: no finding fails the command
	ExitCode int
	Checks   []string // empty: every check
	Scan     []string
}

// auditOutputs are the formats of -o for this command.
var auditOutputs = []string{"text", "json", "markdown"}

// The checks, in the order a key's findings of one severity are listed.
const (
	checkExpiring     = "expiring"
	checkUnused       = "unused"
	checkUnusedScopes = "unused-scopes"
	checkNoIPs        = "no-ip-allowlist"
	checkOldLineage   = "old-lineage"
	checkNearLimit    = "near-limit"
	checkGraceInUse   = "grace-in-use"
	checkLeaked       = "leaked"
)

var auditChecks = []string{checkExpiring, checkUnused, checkUnusedScopes, checkNoIPs, checkOldLineage, checkNearLimit, checkGraceInUse, checkLeaked}

// severity of a finding; the zero value is "none" (no --fail-on).
type severity int

const (
	sevLow severity = iota + 1
	sevMedium
	sevHigh
)

var severityNames = map[severity]string{sevLow: "low", sevMedium: "medium", sevHigh: "high"}

func (s severity) String() string { return severityNames[s] }

// MarshalText writes the severity's name in JSON.
func (s severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Thresholds of the checks (docs/audit.md).
const (
	expiringWithin = 30 * 24 * time.Hour
	expiringHigh   = 7 * 24 * time.Hour
	nearLimitShare = 0.8
)

// rateTiers are the guide's rate-limit tiers: standard, high-volume, the
// maximum (docs/audit.md#the-checks).
var rateTiers = []int{apikey.DefaultRateLimit, 1000, apikey.MaxRateLimit}

// Finding is one thing the audit found about one key.
type Finding struct {
	Check       string   `json:"check"`
	Severity    severity `json:"severity"`
	KeyID       string   `json:"key_id"`
	Name        string   `json:"name"`
	Environment string   `json:"environment"`
	Evidence    string   `json:"evidence"`
	// Fix is the command that resolves the finding; Review marks one to
	// check before running (an allow-list built from the addresses seen).
	Fix    string `json:"fix"`
	Review bool   `json:"review,omitempty"`
}

// leak is a live-looking key that the scanner found: its hint (apikey.Mask)
// and environment, never its secret, and where it was.
type leak struct {
	Hint        string
	Environment string
	Where       string
}

// auditParams are the settings of the checks.
type auditParams struct {
	Since   time.Duration
	MaxAge  time.Duration
	Checks  []string // empty: all
	Profile string   // named in the fix commands (cmdutil.ZupyCommand)
}

func (p auditParams) on(check string) bool {
	return len(p.Checks) == 0 || slices.Contains(p.Checks, check)
}

// NewCmdAudit returns `keys audit`; runF replaces the run in tests.
func NewCmdAudit(f *cmdutil.Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IOStreams, Now: f.Now, Client: f.Client, Resolver: f.Resolve.Credentials}
	var since, maxAge, failOn string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Review every API key against the security advice, with the fix for each finding",
		Long: `Review every key of the partner (all pages of the key list, and one usage
summary per page of keys: a few requests for thousands of keys) and report
what the security advice says to change, with the evidence and the command
that fixes it. The checks, by id and severity:

  expiring         medium, high within 7 days: expires within 30 days and no
                   active successor exists → zupy keys rotate KEY
  unused           low: no request in --since, for a key older than --since
                   → zupy keys revoke KEY
  unused-scopes    medium: scopes held but never checked in --since (a key
                   older than --since, that was used) → zupy keys update KEY
                   --remove-scope S
  no-ip-allowlist  medium: a production key without an IP allow-list → zupy
                   keys update KEY --allow-ip … with the addresses it was called
                   from, marked "review" (one may be whoever used a leaked key)
  old-lineage      medium: the key's lineage has not rotated within --max-age
                   → zupy keys rotate KEY
  near-limit       low, medium with 429s: a busiest minute at 80% of the rate
                   limit or more, or 429 answers in --since (unless the limit
                   was raised since) → zupy keys update KEY --rate-limit N, N
                   the next tier (100, 1000, 2000)
  grace-in-use     medium: a rotated key still called during its grace (a
                   consumer did not switch) → zupy keys usage OLD --since 1h,
                   which shows the consumer's addresses
  leaked           high: with --scan PATH, a key found there (as keys scan
                   finds it) that is one of the partner's active keys, matched
                   by key hint and environment: no secret is sent anywhere
                   → zupy keys rotate KEY

A rotated key in its grace is only checked for grace-in-use and leaked. The
checks run on the server's clock. --check limits the audit to some checks
(repeatable).

Output: on a terminal the findings grouped by key, most severe first; in a
pipe the same text without colour; -o markdown a report to paste into a
ticket; -o json an object with the findings.

Exit status: 0 unless a finding reaches --fail-on (low, medium or high; by
default none fails), then 1, or the --exit-code N, so a scheduled CI job can
tell findings from a network error.`,
		Example: `  zupy keys audit
  zupy keys audit --since 7d --check unused --check unused-scopes
  zupy keys audit --scan . --fail-on high -o markdown > audit.md
  zupy keys audit -o json | jq '.findings[] | select(.severity == "high")'`,
		Args:        cmdutil.NoArgs,
		Annotations: map[string]string{cmdutil.AnnotationOutputs: strings.Join(auditOutputs, ",")},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Profile = f.Global.Output, f.Profile()
			if err := cmdutil.OneOf("output", opts.Output, auditOutputs...); err != nil {
				return err
			}
			var err error
			if opts.Since, err = parseAuditWindow("since", since); err != nil {
				return err
			}
			if opts.MaxAge, err = parseAuditWindow("max-age", maxAge); err != nil {
				return err
			}
			if failOn != "" {
				if err := cmdutil.OneOf("fail-on", failOn, "low", "medium", "high"); err != nil {
					return err
				}
				for s, name := range severityNames {
					if name == failOn {
						opts.FailOn = s
					}
				}
			}
			if cmd.Flags().Changed("exit-code") && failOn == "" {
				return cmdutil.Usagef("--exit-code needs --fail-on")
			}
			if opts.ExitCode < 1 || opts.ExitCode > 125 {
				return cmdutil.Usagef("invalid --exit-code %d: must be between 1 and 125", opts.ExitCode)
			}
			for _, c := range opts.Checks {
				if err := cmdutil.OneOf("check", c, auditChecks...); err != nil {
					return err
				}
			}
			for _, p := range opts.Scan {
				if err := keyscan.CheckPath(p); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return auditRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "30d", "The usage window, a `DURATION` (30d, 72h)")
	fl.StringVar(&maxAge, "max-age", "90d", "Longest a lineage may go without a rotation, a `DURATION`")
	fl.StringVar(&failOn, "fail-on", "", "Exit non-zero when a finding reaches this `SEVERITY`: low, medium or high")
	fl.IntVar(&opts.ExitCode, "exit-code", 1, "With --fail-on, the exit status `N` of a failing audit")
	fl.StringArrayVar(&opts.Checks, "check", nil, "Run only this `CHECK` (repeatable): "+strings.Join(auditChecks, ", "))
	fl.StringArrayVar(&opts.Scan, "scan", nil, "Look for leaked keys in this `PATH` as keys scan does (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"low", "medium", "high"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("check", cobra.FixedCompletions(auditChecks, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parseAuditWindow parses --since and --max-age: a positive duration, in
// days too (30d).
func parseAuditWindow(flag, s string) (time.Duration, error) {
	d, err := apikey.ParseLifetime(s)
	if err != nil || d < time.Minute || d > 3650*24*time.Hour {
		return 0, cmdutil.Usagef("invalid --%s %q: not a duration from 1m to 3650d (examples: 30d, 72h)", flag, s)
	}
	return d, nil
}

// sinceQuery is d as the usage routes take it: whole days as "30d".
func sinceQuery(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func auditRun(ctx context.Context, opts *AuditOptions) error {
	var leaks []leak
	if len(opts.Scan) > 0 {
		// The scan first: a path that cannot be read fails before a request.
		found, _, err := scan.ScanPaths(ctx, opts.Scan, scan.Options{Warn: func(err error) {
			fmt.Fprintf(opts.IO.ErrOut, "%s %s\n", opts.IO.ErrColorScheme().WarningIcon(), ui.SingleLine(err.Error()))
		}})
		if err != nil {
			return err
		}
		leaks = leaksOf(found)
	}
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	keys, _, err := s.client.ListKeysUpTo(ctx, s.token(), api.ListKeysQuery{Status: "all", Limit: wire.MaxPageLimit}, 0)
	if err != nil {
		return s.wrap(err)
	}
	usage, until, err := usageSummaries(ctx, s, sinceQuery(opts.Since))
	if err != nil {
		return usageError(s.wrap(err))
	}
	now := until // the server's clock, which the windows are counted on
	if now.IsZero() {
		now = opts.Now()
	}
	fs := findings(keys, usage, leaks, now, auditParams{Since: opts.Since, MaxAge: opts.MaxAge, Checks: opts.Checks, Profile: opts.Profile})
	if err := printAudit(opts, fs, len(keys), now); err != nil {
		return err
	}
	if opts.FailOn > 0 && slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity >= opts.FailOn }) {
		return &cmdutil.SilentError{Code: opts.ExitCode}
	}
	return nil
}

// usageSummaries walks GET /api-keys/usage, a page of up to 1,000 keys a
// request, and returns the rows by key id with the window's end.
func usageSummaries(ctx context.Context, s *sessionClient, since string) (map[string]api.UsageSummary, time.Time, error) {
	out := map[string]api.UsageSummary{}
	var until time.Time
	cursor := ""
	for {
		page, _, err := s.client.UsageSummary(ctx, s.token(), since, wire.MaxPageLimit, cursor)
		if err != nil {
			return nil, time.Time{}, err
		}
		if until.IsZero() {
			until = page.Until
		}
		for _, row := range page.Data {
			out[row.KeyID] = row
		}
		if page.NextCursor == nil || *page.NextCursor == "" || len(page.Data) == 0 {
			return out, until, nil
		}
		cursor = *page.NextCursor
	}
}

// leaksOf keeps the API keys of the scan's findings, as hint and
// environment, once each.
func leaksOf(found []scan.Finding) []leak {
	var out []leak
	seen := map[string]bool{}
	for _, f := range found {
		if !f.Kind.IsKey() {
			continue
		}
		k, err := apikey.Parse(f.Secret.Reveal())
		if err != nil {
			continue
		}
		hint := apikey.Mask(f.Secret.Reveal())
		if seen[hint+string(k.Environment)] {
			continue
		}
		seen[hint+string(k.Environment)] = true
		where := f.Path
		if f.Line > 0 {
			where += ":" + strconv.Itoa(f.Line)
		}
		out = append(out, leak{Hint: hint, Environment: string(k.Environment), Where: where})
	}
	return out
}

// findings checks every key against the advice (docs/audit.md), from the
// key list (every status), the usage summaries of the window by key id,
// the scanner's leaks and the server's now; most severe key first.
func findings(keys []api.Key, usage map[string]api.UsageSummary, leaks []leak, now time.Time, p auditParams) []Finding {
	byID := make(map[string]*api.Key, len(keys))
	for i := range keys {
		byID[keys[i].KeyID] = &keys[i]
	}
	var out []Finding
	for i := range keys {
		k := &keys[i]
		if k.Status != wire.StatusActive || !k.ExpiresAt.After(now) {
			continue
		}
		u := usage[k.KeyID]
		add := func(check string, sev severity, evidence, fix string) {
			if !p.on(check) {
				return
			}
			if fix != "" {
				fix = cmdutil.ZupyCommand(p.Profile, fix)
			}
			out = append(out, Finding{Check: check, Severity: sev, KeyID: k.KeyID, Name: ui.SingleLine(k.Name),
				Environment: k.Environment, Evidence: evidence, Fix: fix})
		}
		for _, l := range leaks {
			if l.Hint == k.KeyHint && l.Environment == k.Environment {
				add(checkLeaked, sevHigh, fmt.Sprintf("its secret (%s) is in %s", l.Hint, ui.SingleLine(l.Where)), "keys rotate "+k.KeyID)
			}
		}
		if k.RotatedTo != nil {
			// A rotated key in its grace: it goes away by itself; only a
			// consumer still calling it matters.
			at := rotatedAt(k, byID)
			if u.LastRequestAt != nil && !at.IsZero() && u.LastRequestAt.After(at) {
				add(checkGraceInUse, sevMedium, fmt.Sprintf("rotated to %s at %s, still called at %s; it stops working at %s",
					*k.RotatedTo, stamp(at), stamp(*u.LastRequestAt), stamp(k.ExpiresAt)), "keys usage "+k.KeyID+" --since 1h")
			}
			continue
		}
		age := now.Sub(k.CreatedAt)
		if left := k.ExpiresAt.Sub(now); left <= expiringWithin {
			sev := sevMedium
			if left <= expiringHigh {
				sev = sevHigh
			}
			add(checkExpiring, sev, fmt.Sprintf("expires at %s (in %s), no successor", stamp(k.ExpiresAt), days(left)), "keys rotate "+k.KeyID)
		}
		unused := age > p.Since && u.Totals.Requests == 0
		if unused {
			add(checkUnused, sevLow, fmt.Sprintf("no request in the last %s; created %s ago", days(p.Since), days(age)), "keys revoke "+k.KeyID)
		}
		if age > p.Since && !unused && len(u.Scopes) > 0 {
			var idle []string
			for _, sc := range k.Permissions {
				if u.Scopes[sc] == 0 {
					idle = append(idle, sc)
				}
			}
			if len(idle) > 0 {
				add(checkUnusedScopes, sevMedium, fmt.Sprintf("never checked in the last %s: %s (checked: %s)", days(p.Since),
					strings.Join(idle, ", "), strings.Join(checkedScopes(u.Scopes), ", ")), "keys update "+k.KeyID+" --remove-scope "+strings.Join(idle, ","))
			}
		}
		if k.Environment == string(apikey.Production) && len(k.IPRestrictions) == 0 {
			var ips []string
			for _, ip := range u.IPs {
				ips = append(ips, ui.SingleLine(ip.IP))
			}
			ev := "production key accepted from any address"
			fix := "keys update " + k.KeyID + " --allow-ip IP…"
			if len(ips) > 0 {
				// The summary counts requests per address, not per answer:
				// a refused caller's address is listed too.
				ev += fmt.Sprintf("; called from %s in the last %s (the usage summary does not say which got 2xx answers: review the list)",
					strings.Join(ips, ", "), days(p.Since))
				fix = "keys update " + k.KeyID + " --allow-ip " + strings.Join(ips, ",")
			} else {
				ev += fmt.Sprintf("; no call in the last %s to take addresses from", days(p.Since))
			}
			if p.on(checkNoIPs) {
				add(checkNoIPs, sevMedium, ev, fix)
				out[len(out)-1].Review = true
			}
		}
		if age > p.MaxAge {
			add(checkOldLineage, sevMedium, fmt.Sprintf("last rotated (or created) %s ago, at %s; at most %s advised", days(age), stamp(k.CreatedAt), days(p.MaxAge)),
				"keys rotate "+k.KeyID)
		}
		if f, ok := nearLimit(k, u); ok {
			add(checkNearLimit, f.Severity, f.Evidence, f.Fix)
		}
	}
	sortFindings(out)
	return out
}

// nearLimit is the near-limit finding of k, if any: a busiest minute at 80%
// of its limit or more, or 429s in the window, unless the busiest minute
// (kept 48 hours) is under 80% of the current limit: then the limit was
// raised after those 429s.
func nearLimit(k *api.Key, u api.UsageSummary) (Finding, bool) {
	limit := k.RateLimit
	if limit <= 0 {
		return Finding{}, false
	}
	peak := u.PeakMinute
	busy := peak != nil && float64(peak.Requests) >= nearLimitShare*float64(limit)
	limited := u.Totals.RateLimited > 0 && (peak == nil || busy)
	if !busy && !limited {
		return Finding{}, false
	}
	var ev []string
	sev := sevLow
	if peak != nil {
		ev = append(ev, fmt.Sprintf("busiest minute %d of %d req/min at %s", peak.Requests, limit, stamp(peak.Start)))
	}
	if u.Totals.RateLimited > 0 {
		sev = sevMedium
		noun := "requests"
		if u.Totals.RateLimited == 1 {
			noun = "request"
		}
		ev = append(ev, fmt.Sprintf("%d %s refused with 429", u.Totals.RateLimited, noun))
	}
	next := 0
	for _, t := range rateTiers {
		if t > limit {
			next = t
			break
		}
	}
	fix := fmt.Sprintf("keys update %s --rate-limit %d", k.KeyID, next)
	if next == 0 {
		ev = append(ev, "already at the maximum limit: spread the load over more keys")
		fix = ""
	}
	return Finding{Severity: sev, Evidence: strings.Join(ev, "; "), Fix: fix}, true
}

// rotatedAt is when a rotated key was replaced: its last rotation's time,
// else its successor's creation.
func rotatedAt(k *api.Key, byID map[string]*api.Key) time.Time {
	if k.LastRotation != nil && !k.LastRotation.At.IsZero() {
		return k.LastRotation.At
	}
	if next := byID[*k.RotatedTo]; next != nil {
		return next.CreatedAt
	}
	return time.Time{}
}

func checkedScopes(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for sc := range m {
		out = append(out, ui.SingleLine(sc))
	}
	slices.Sort(out)
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// days is d to the nearest whole day, or hour or minute under two days: a key
// created with --expires-in 10d a minute ago expires "in 10d", not 9d.
func days(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Round(24*time.Hour)/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%dm", max(int(d.Round(time.Minute)/time.Minute), 0))
}

// sortFindings orders keys by their most severe finding, then id; a key's
// findings by severity, then check order.
func sortFindings(fs []Finding) {
	worst := map[string]severity{}
	for _, f := range fs {
		worst[f.KeyID] = max(worst[f.KeyID], f.Severity)
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(worst[b.KeyID], worst[a.KeyID]), cmp.Compare(a.KeyID, b.KeyID),
			cmp.Compare(b.Severity, a.Severity), cmp.Compare(slices.Index(auditChecks, a.Check), slices.Index(auditChecks, b.Check)))
	})
}
