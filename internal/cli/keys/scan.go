package keys

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// ScanOptions is what `keys scan` uses: its flags, and the parts of the
// factory it needs.
type ScanOptions struct {
	IO        *ui.IOStreams
	Output    string // text, json or sarif
	Profile   string
	Settings  func() (*config.Resolver, error)
	ClientFor func(baseURL string) (*api.Client, error)
	Client    func() (*api.Client, error)
	Resolver  func() (credentials.Resolver, error)
	Store     func() (credentials.Store, error)
	Config    func() (*config.File, error)
	Prompter  func() *ui.Prompter
	// VerifyTarget is where --verify sends a key of an environment, or
	// why it is not sent (resolve.ForScannedKey).
	VerifyTarget func(apikey.Environment) (target, skip string, err error)

	Paths    []string
	Git      bool
	Stdin    bool
	Verify   bool
	Revoke   bool
	Yes      bool
	Exclude  []string
	ExitCode int
}

// scanOutputs are the formats of -o for this command: the global ones and SARIF.
var scanOutputs = []string{"text", "json", "sarif"}

// NewCmdScan returns `keys scan`; runF replaces the run in tests.
func NewCmdScan(f *cmdutil.Factory, runF func(*ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IOStreams, Settings: f.Settings, ClientFor: f.ClientFor, Client: f.Client,
		Resolver: f.Resolve.Credentials, Store: f.Resolve.Store, Config: f.Config, Prompter: f.Prompter,
		VerifyTarget: f.Resolve.ForScannedKey}
	cmd := &cobra.Command{
		Use:   "scan [PATH]...",
		Short: "Find leaked Zupy secrets in files or git history, and revoke them",
		Long: `Find Zupy API keys (zup_live_sk_…, zup_test_sk_…) and session tokens
(zup_sess_…) in files and folders (default: the current folder), in the whole
history of a git repository (--git), or on standard input (--stdin).

Folders are read as git sees them: inside a git work tree, the tracked files
and the untracked ones no .gitignore ignores; elsewhere, every file no
.gitignore on the way down ignores. Binary files, files over 10 MiB, symbolic
links and .git are skipped. A line containing zupy:allow is skipped (for test
fixtures), and so are paths matching --exclude (.gitignore syntax: *.txt,
testdata/, internal/**/fixtures; repeatable).

Standard input is read whole, shown as "-", unless it is a unified diff (the
output of git diff): then only the lines the diff adds are read, each reported
at its own file and line, so a pre-commit hook stops a commit that adds a
secret and lets through the one that removes it.

--git reads every commit that a branch, a tag, a stash entry or a reflog
entry reaches, so a commit amended or reset away is read until git expires
it; objects nothing names any more are not.

Each finding shows its file, line, column, kind and the secret masked
(zup_live_sk_…9i0j); with --git, each secret once, at the same place on
every run and in every format: the first commit that holds it (oldest
first in topological order), then the first path in byte order. A secret in a file or folder name is a finding of its own, at line 0
(its column counted in the path). No secret is ever printed whole, in any
format, and secrets in the paths printed are masked too. On a terminal the
findings are a table; in a pipe, tab-separated lines without a header
(PATH LINE COLUMN KIND SECRET [COMMIT] [STATUS KEY_ID ENVIRONMENT SCOPES]);
-o json prints an array, -o sarif a SARIF 2.1.0 log for code-scanning
dashboards.

--verify asks GET /auth/verify whether each distinct API key found is live:
live (with its key id, environment and scopes), expired_or_revoked (the API
does not tell them apart) or invalid (not a key the API knows: forged,
deleted, or of another account or server). A key refused only for its rate
limit or its IP allow-list is live too, marked "live (rate limited; scopes not
read)" or "live (IP not allowed here; scopes not read)" (-o json: status live
and a note). It is opt-in because it SENDS EACH
SECRET TO THE API, and each check counts as a use of the key: it bumps the
key's usage_count and last_used_at and spends one request of its rate limit.
A key goes only to the base URL of its own environment (production for
zup_live_sk_, staging for zup_test_sk_), named on stderr before anything is
sent. A base URL given by --base-url or ZUPY_BASE_URL is used only for the keys
of its environment, the profile's base_url only for those of the profile's
environment, and one on loopback (the emulator) for all; any other key is
reported not_verified, with the reason, and counts as possibly live. Session
tokens are reported, never sent, and --verify never sends your login session:
a key refused for its IP allow-list or rate limit is live with its key id
unknown, unless --revoke looks it up.

--revoke (implies --verify) revokes the live keys found, with your login
session; on a terminal it lists them and asks first, elsewhere it needs --yes.

Exit status: 0 when nothing is found, 1 when something is (with --verify, only
live keys count), so the command fails a CI step or a pre-commit hook;
--exit-code changes 1 to another code. 2 is a usage error; other failures
use the codes of "zupy help exit-codes".`,
		Example: `  # Scan the current folder, as git sees it
  zupy keys scan

  # Pre-commit hook: scan what is about to be committed
  git diff --cached | zupy keys scan --stdin

  # Every commit of the repository, for a code-scanning dashboard
  zupy keys scan --git -o sarif > zupy-secrets.sarif

  # Which of the keys found still work, and revoke those
  zupy keys scan src config --verify
  zupy keys scan --revoke --yes

  # Skip fixtures
  zupy keys scan --exclude 'testdata/' --exclude '*.golden'`,
		Annotations: map[string]string{cmdutil.AnnotationOutputs: strings.Join(scanOutputs, ",")},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			opts.Output, opts.Profile = f.Global.Output, f.Profile()
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return scanRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Git, "git", false, "Scan every commit of the git repository at PATH (default: the current one), reflogs and stash included")
	fl.BoolVar(&opts.Stdin, "stdin", false, "Scan standard input; of a diff, the added lines (git diff --cached | zupy keys scan --stdin)")
	fl.BoolVar(&opts.Verify, "verify", false, "Ask the API whether each key found is live (sends the secret; counts as a use of the key)")
	fl.BoolVar(&opts.Revoke, "revoke", false, "Revoke the live keys found (needs a login session; implies --verify)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "Revoke without asking for confirmation")
	fl.StringArrayVar(&opts.Exclude, "exclude", nil, "Skip paths matching this .gitignore-style `GLOB` (repeatable)")
	fl.IntVar(&opts.ExitCode, "exit-code", 1, "Exit status `N` when secrets are found (live keys, with --verify)")
	return cmd
}

// validate checks the flags; every failure is a usage error, found before
// anything is read or sent.
func (o *ScanOptions) validate() error {
	if err := cmdutil.OneOf("output", o.Output, scanOutputs...); err != nil {
		return err
	}
	switch {
	case o.Stdin && o.Git:
		return cmdutil.Usagef("--stdin and --git cannot be used together")
	case o.Stdin && len(o.Paths) > 0:
		return cmdutil.Usagef("--stdin takes no PATH arguments")
	case o.Git && len(o.Paths) > 1:
		return cmdutil.Usagef("--git scans one repository; got %d paths", len(o.Paths))
	case o.ExitCode < 0 || o.ExitCode > 125:
		return cmdutil.Usagef("invalid --exit-code %d: must be between 0 and 125", o.ExitCode)
	case o.Yes && !o.Revoke:
		return cmdutil.Usagef("--yes only applies to --revoke")
	}
	for _, p := range o.Exclude {
		if err := scan.ValidateExclude(p); err != nil {
			return cmdutil.Usagef("invalid --exclude: %v", err)
		}
	}
	if o.Revoke {
		o.Verify = true
		if !o.Yes && !o.IO.CanPrompt() {
			return usageHint("Run `zupy keys scan --revoke --yes` to revoke the live keys found",
				"--yes is required with --revoke when not running interactively")
		}
	}
	if len(o.Paths) == 0 && !o.Stdin {
		o.Paths = []string{"."}
	}
	return nil
}

// Statuses of a finding after --verify.
const (
	statusLive        = "live"
	statusDead        = "expired_or_revoked"
	statusInvalid     = "invalid"      // not a key the API knows
	statusNotVerified = "not_verified" // session tokens are never sent
	statusUnverified  = "unverified"   // the check failed; see stderr
)

// verdict is what --verify and --revoke learned about one secret.
type verdict struct {
	status      string
	keyID       string
	environment string
	scopes      []string
	revoked     bool
	// note says why a live key's scopes are missing: its check was refused
	// for its rate limit or IP allow-list, which proves it live.
	note string
}

// scanRecord is a finding as -o json prints it; the secret is masked under
// the API's name for a masked secret, key_hint.
type scanRecord struct {
	Path        string      `json:"path"`
	Line        int         `json:"line"`
	Column      int         `json:"column"`
	Kind        scan.Kind   `json:"kind"`
	KeyHint     scan.Secret `json:"key_hint"`
	Commit      string      `json:"commit,omitempty"`
	Status      string      `json:"status,omitempty"`
	KeyID       string      `json:"key_id,omitempty"`
	Environment string      `json:"environment,omitempty"`
	Permissions []string    `json:"permissions,omitempty"`
	Revoked     bool        `json:"revoked,omitempty"`
	Note        string      `json:"note,omitempty"`
}

func scanRun(ctx context.Context, opts *ScanOptions) error {
	// --revoke needs a session: find it before reading anything.
	var session *scanSession
	if opts.Revoke {
		s, err := opts.openSession(ctx)
		if err != nil {
			return err
		}
		session = s
	}

	findings, stats, err := opts.find(ctx)
	if err != nil {
		return err
	}

	verdicts := map[string]*verdict{}
	var revokeErr error
	if opts.Verify {
		if verdicts, err = opts.verify(ctx, findings, session); err != nil {
			return err
		}
		if opts.Revoke {
			revokeErr = opts.revoke(ctx, session, findings, verdicts)
		}
	}

	if err := opts.print(findings, verdicts); err != nil {
		return err
	}
	count := opts.summarize(findings, verdicts, stats)
	if revokeErr != nil {
		return revokeErr
	}
	if count > 0 && opts.ExitCode != 0 {
		return &cmdutil.SilentError{Code: opts.ExitCode}
	}
	return nil
}

// find runs the scan the flags ask for.
func (o *ScanOptions) find(ctx context.Context) ([]scan.Finding, scan.Stats, error) {
	so := scan.Options{Exclude: o.Exclude, Warn: func(err error) {
		fmt.Fprintf(o.IO.ErrOut, "%s %s\n", o.IO.ErrColorScheme().WarningIcon(), ui.SingleLine(err.Error()))
	}}
	switch {
	case o.Stdin:
		return scan.ScanReader(cmdutil.ContextReader(ctx, o.IO.In), "-")
	case o.Git:
		dir := "."
		if len(o.Paths) == 1 {
			dir = o.Paths[0]
		}
		if err := checkPath(dir); err != nil {
			return nil, scan.Stats{}, err
		}
		return scan.ScanHistory(ctx, dir, so)
	}
	for _, p := range o.Paths {
		if err := checkPath(p); err != nil {
			return nil, scan.Stats{}, err
		}
	}
	return scan.ScanPaths(ctx, o.Paths, so)
}

// checkPath makes a missing PATH argument a usage error.
func checkPath(p string) error {
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return cmdutil.Usagef("%s: no such file or folder", p)
		}
		return err
	}
	return nil
}

// scanSession is the login session --revoke (and its key-id lookup) runs
// under, with the partner's active keys by environment.
type scanSession struct {
	*sessionClient
	keys map[string][]api.Key
}

func (o *ScanOptions) openSession(ctx context.Context) (*scanSession, error) {
	s, err := openSession(ctx, o.Client, o.Resolver)
	if err != nil {
		return nil, err
	}
	return &scanSession{sessionClient: s, keys: map[string][]api.Key{}}, nil
}

// keyIDByHint finds the id of a live key from the session's key list, by
// its masked form and environment, when exactly one key matches.
func (s *scanSession) keyIDByHint(ctx context.Context, secret string, env apikey.Environment) (string, error) {
	keys, ok := s.keys[string(env)]
	if !ok {
		var err error
		if keys, err = s.client.ListKeys(ctx, s.token(), string(env), api.StatusActive); err != nil {
			return "", err
		}
		s.keys[string(env)] = keys
	}
	hint := apikey.Mask(secret)
	var ids []string
	for _, k := range keys {
		if k.KeyHint == hint && k.Environment == string(env) {
			ids = append(ids, k.KeyID)
		}
	}
	if len(ids) != 1 {
		return "", nil
	}
	return ids[0], nil
}

// verify checks each distinct API key found with GET /auth/verify, once,
// without retries. Session tokens are never sent.
func (o *ScanOptions) verify(ctx context.Context, findings []scan.Finding, session *scanSession) (map[string]*verdict, error) {
	verdicts := map[string]*verdict{}
	type target struct {
		secret string
		key    apikey.Key
	}
	byURL := map[string][]target{}
	var urls []string
	skipped := map[string][]apikey.Environment{}
	var skips []string
	for _, f := range findings {
		secret := f.Secret.Reveal()
		if _, seen := verdicts[secret]; seen {
			continue
		}
		if !f.Kind.IsKey() {
			verdicts[secret] = &verdict{status: statusNotVerified}
			continue
		}
		key, err := apikey.Parse(secret)
		if err != nil { // the matcher only reports well-formed keys
			verdicts[secret] = &verdict{status: statusInvalid}
			continue
		}
		verdicts[secret] = &verdict{status: statusUnverified, environment: string(key.Environment)}
		u, skip, err := o.VerifyTarget(key.Environment)
		if err != nil {
			return nil, err
		}
		if skip != "" {
			verdicts[secret].status = statusNotVerified
			if _, ok := skipped[skip]; !ok {
				skips = append(skips, skip)
			}
			skipped[skip] = append(skipped[skip], key.Environment)
			continue
		}
		if _, ok := byURL[u]; !ok {
			urls = append(urls, u)
		}
		byURL[u] = append(byURL[u], target{secret, key})
	}
	errOut := o.IO.ErrOut
	cs := o.IO.ErrColorScheme()
	for _, why := range skips {
		envs := skipped[why]
		fmt.Fprintf(errOut, "%s not verifying %s: %s, and a key is only sent to the API of its own environment\n",
			cs.WarningIcon(), plural(len(envs), string(envs[0])+" key"), why)
	}
	for _, u := range urls {
		ts := byURL[u]
		client, err := o.ClientFor(u)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(errOut, "Sending %s to %s (GET /auth/verify); each check counts as a use of the key\n", plural(len(ts), "key"), u)
		for i, t := range ts {
			v := verdicts[t.secret]
			res, _, err := client.Verify(ctx, t.secret, nil, true)
			if err == nil {
				v.status, v.keyID, v.environment, v.scopes = statusLive, res.KeyID, res.Environment, res.Permissions
				continue
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var netErr *api.NetworkError
			if errors.As(err, &netErr) {
				// The server cannot be reached: say so once, and leave
				// this server's other keys unverified rather than fail
				// the same way for each.
				fmt.Fprintf(errOut, "%s could not verify %s at %s: %s\n", cs.WarningIcon(), plural(len(ts)-i, "key"), u, ui.SingleLine(err.Error()))
				break
			}
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				fmt.Fprintf(errOut, "%s could not verify %s: %s\n", cs.WarningIcon(), apikey.Mask(t.secret), ui.SingleLine(err.Error()))
				continue
			}
			// The real API sends no error_code: its documented message is
			// what tells an expired or revoked key from an unknown one.
			switch code, _ := apiErr.Details[wire.DetailErrorCode].(string); {
			case apiErr.Status == http.StatusUnauthorized && (code == wire.ErrAPIKeyExpired || code == wire.ErrAPIKeyRevoked ||
				code == "" && apiErr.Message == wire.MsgAPIKeyExpired):
				v.status = statusDead
			case apiErr.Status == http.StatusUnauthorized:
				v.status = statusInvalid
			case apiErr.Status == http.StatusForbidden && code == wire.ErrIPNotAllowed,
				apiErr.Status == http.StatusTooManyRequests:
				// Refused for where it came from or how often: the key
				// itself is good. Its id comes from the key list.
				v.status, v.note = statusLive, "IP not allowed here; scopes not read"
				why := "its IP allow-list refused this machine"
				if apiErr.Status == http.StatusTooManyRequests {
					why, v.note = "it is rate limited", "rate limited; scopes not read"
				}
				// Only --revoke opened a session: --verify alone never
				// sends one, so the id stays unknown.
				if session != nil {
					id, err := session.keyIDByHint(ctx, t.secret, t.key.Environment)
					if err != nil {
						fmt.Fprintf(errOut, "%s could not list keys to find the id of %s: %s\n", cs.WarningIcon(), apikey.Mask(t.secret), ui.SingleLine(session.wrap(err).Error()))
					}
					v.keyID = id
				}
				if v.keyID == "" {
					fmt.Fprintf(errOut, "%s %s is live (%s), but its key id is unknown: revoke it by hand\n", cs.WarningIcon(), apikey.Mask(t.secret), why)
				}
			default:
				fmt.Fprintf(errOut, "%s could not verify %s: %s\n", cs.WarningIcon(), apikey.Mask(t.secret), ui.SingleLine(err.Error()))
			}
		}
	}
	return verdicts, nil
}

// revoke revokes the live keys with a known id, after asking on a
// terminal. It returns the first failure, after trying every key.
func (o *ScanOptions) revoke(ctx context.Context, s *scanSession, findings []scan.Finding, verdicts map[string]*verdict) error {
	errOut := o.IO.ErrOut
	cs := o.IO.ErrColorScheme()
	type target struct {
		secret string
		v      *verdict
	}
	var targets []target
	seen := map[string]bool{}
	for _, f := range findings {
		secret := f.Secret.Reveal()
		v := verdicts[secret]
		if seen[secret] || v == nil || v.status != statusLive || v.keyID == "" {
			continue
		}
		seen[secret] = true
		targets = append(targets, target{secret, v})
	}
	if len(targets) == 0 {
		fmt.Fprintln(errOut, "No live keys to revoke")
		return nil
	}
	if !o.Yes {
		fmt.Fprintf(errOut, "Live keys found:\n")
		for _, t := range targets {
			fmt.Fprintf(errOut, "  %s  %s  %s\n", ui.SingleLine(t.v.keyID), apikey.Mask(t.secret), ui.SingleLine(t.v.environment))
		}
		ok, err := o.Prompter().Confirm(fmt.Sprintf("Revoke %s? This cannot be undone", plural(len(targets), "key")), false)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(errOut, "Nothing revoked")
			return nil
		}
	}
	var first error
	for _, t := range targets {
		key, err := s.client.RevokeKey(ctx, s.token(), t.v.keyID)
		if err != nil {
			err = fmt.Errorf("revoke %s: %w", t.v.keyID, s.wrap(err))
			fmt.Fprintf(errOut, "%s could not %s\n", cs.FailureIcon(), ui.SingleLine(err.Error()))
			if first == nil {
				first = err
			}
			continue
		}
		t.v.revoked = true
		fmt.Fprintf(errOut, "%s Revoked %s (%s) %q\n", cs.SuccessIcon(), ui.SingleLine(key.KeyID), apikey.Mask(t.secret), ui.SingleLine(key.Name))
		for _, n := range forgetKey(ctx, o.Store, profileConfig{o.Config, o.Profile}, key.KeyID) {
			fmt.Fprintln(errOut, ui.SingleLine(n))
		}
	}
	return first
}

// print writes the findings in the format asked for.
func (o *ScanOptions) print(findings []scan.Finding, verdicts map[string]*verdict) error {
	switch o.Output {
	case "json":
		records := make([]scanRecord, 0, len(findings))
		for _, f := range findings {
			r := scanRecord{Path: f.Path, Line: f.Line, Column: f.Column, Kind: f.Kind, KeyHint: f.Secret, Commit: f.Commit}
			if v := verdicts[f.Secret.Reveal()]; v != nil {
				r.Status, r.KeyID, r.Environment, r.Permissions, r.Revoked, r.Note = v.status, v.keyID, v.environment, v.scopes, v.revoked, v.note
			}
			records = append(records, r)
		}
		return ui.WriteJSON(o.IO.Out, records)
	case "sarif":
		results := make([]scan.SARIFResult, 0, len(findings))
		for _, f := range findings {
			r := scan.SARIFResult{Finding: f}
			if v := verdicts[f.Secret.Reveal()]; v != nil {
				r.Note = statusText(v)
				if v.keyID != "" {
					r.Properties = map[string]string{"key_id": v.keyID}
				}
			}
			results = append(results, r)
		}
		return scan.WriteSARIF(o.IO.Out, build.Current().Version, results)
	}
	if len(findings) == 0 {
		return nil
	}
	header := []string{"PATH", "LINE", "COL", "KIND", "SECRET"}
	if o.Git {
		header = append(header, "COMMIT")
	}
	if o.Verify {
		header = append(header, "STATUS", "KEY ID", "ENV", "SCOPES")
	}
	t := ui.NewTable(o.IO, header...)
	cs := o.IO.ColorScheme()
	for _, f := range findings {
		t.AddField(f.Path)
		t.AddField(fmt.Sprint(f.Line))
		t.AddField(fmt.Sprint(f.Column))
		t.AddField(string(f.Kind))
		t.AddField(f.Secret.String(), cs.Secret)
		if o.Git {
			commit := f.Commit
			if t.IsTTY() && len(commit) > 12 {
				commit = commit[:12]
			}
			t.AddField(commit)
		}
		if o.Verify {
			v := verdicts[f.Secret.Reveal()]
			t.AddField(statusText(v), verdictStyle(cs, v))
			t.AddField(v.keyID)
			t.AddField(v.environment)
			t.AddField(strings.Join(v.scopes, ","))
		}
		t.EndRow()
	}
	return t.Render()
}

// statusText is a verdict's status, with its note ("live (rate limited;
// scopes not read)"), or "revoked" once --revoke revoked it.
func statusText(v *verdict) string {
	switch {
	case v.revoked:
		return "revoked"
	case v.note != "":
		return v.status + " (" + v.note + ")"
	}
	return v.status
}

func verdictStyle(cs *ui.ColorScheme, v *verdict) func(string) string {
	switch {
	case v.revoked:
		return cs.Success
	case v.status == statusLive:
		return cs.Failure
	case v.status == statusUnverified || v.status == statusNotVerified:
		return cs.Warning
	}
	return cs.Muted
}

// summarize writes one line about the scan on stderr and returns how many
// findings count toward the exit status: all of them, or with --verify the
// live keys (revoked now or not: the file still holds a leaked key) and
// those whose check failed.
func (o *ScanOptions) summarize(findings []scan.Finding, verdicts map[string]*verdict, st scan.Stats) int {
	// "in 2 scanned files": how much was read, not where the secrets are.
	what := scannedCount(st.Files, "file")
	if o.Git {
		what = scannedCount(st.Files, "blob")
	} else if o.Stdin {
		what = "standard input"
	}
	skipped := ""
	if n := st.Binary + st.Large + st.Unreadable; n > 0 {
		skipped = fmt.Sprintf("; skipped %d binary, %d over 10 MiB, %d unreadable", st.Binary, st.Large, st.Unreadable)
	}
	if len(findings) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No Zupy secrets found in %s%s\n", what, skipped)
		return 0
	}
	count := len(findings)
	live := ""
	if o.Verify {
		count = 0
		const revoked = "revoked"
		distinct := map[string]map[string]bool{statusLive: {}, revoked: {}, statusUnverified: {}}
		for _, f := range findings {
			s := f.Secret.Reveal()
			// A key not sent (another environment's URL is configured)
			// may be live, as one whose check failed.
			v := verdicts[s]
			switch {
			case v.status == statusLive && v.revoked:
				count++
				distinct[revoked][s] = true
			case v.status == statusLive:
				count++
				distinct[statusLive][s] = true
			case v.status == statusUnverified, v.status == statusNotVerified && f.Kind.IsKey():
				count++
				distinct[statusUnverified][s] = true
			}
		}
		// "(1 key live)", "(2 keys revoked now)", "(1 key live, 2 revoked
		// now, 1 not verified)": a key --revoke revoked is no longer live.
		var parts []string
		nLive, nRevoked := len(distinct[statusLive]), len(distinct[revoked])
		if nLive > 0 || nRevoked == 0 {
			parts = append(parts, plural(nLive, "key")+" live")
		}
		if nRevoked > 0 {
			if len(parts) == 0 {
				parts = append(parts, plural(nRevoked, "key")+" revoked now")
			} else {
				parts = append(parts, fmt.Sprintf("%d revoked now", nRevoked))
			}
		}
		if n := len(distinct[statusUnverified]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d not verified", n))
		}
		live = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(o.IO.ErrOut, "%s %s found in %s%s%s\n", o.IO.ErrColorScheme().FailureIcon(),
		plural(len(findings), "secret"), what, live, skipped)
	if !o.Verify && o.IO.IsStderrTTY() && slices.ContainsFunc(findings, func(f scan.Finding) bool { return f.Kind.IsKey() }) {
		fmt.Fprintln(o.IO.ErrOut, "Run the scan again with --verify to learn which keys are live (it sends them to the API), and --revoke to revoke those")
	}
	if o.Verify && !o.Revoke && o.IO.IsStderrTTY() && slices.ContainsFunc(findings, func(f scan.Finding) bool {
		return verdicts[f.Secret.Reveal()].status == statusLive
	}) {
		fmt.Fprintln(o.IO.ErrOut, "Revoke the live keys with `"+cmdutil.ZupyCommand(o.Profile, "keys scan --revoke")+"` (it lists them and asks first)")
	}
	return count
}

// scannedCount is "2 scanned files": what a scan read, said so that "1
// secret found in 2 scanned files" does not read as a secret in two files.
func scannedCount(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d scanned %s", n, noun)
}
