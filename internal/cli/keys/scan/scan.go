// Package scan is `zupy keys scan`: find leaked Zupy secrets in files, git
// history or standard input (the engine is internal/scan, imported here as
// zscan), ask the API which keys are live (verify.go) and revoke them
// (revoke.go), and report the findings, one writer per output format
// (report.go, and text.go, json.go, sarif.go). It is named for its command,
// as internal/cli/config and internal/cli/api are, with the engine aliased
// where the names clash.
package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

// ScanOptions is what `keys scan` uses: its flags, and the parts of the
// factory it needs.
type ScanOptions struct {
	IO        *ui.IOStreams
	Output    string // text, json, sarif: a writer's name (outputs)
	Profile   string
	ClientFor func(baseURL string) (*api.Client, error)
	Client    func() (*api.Client, error)
	// Session is the login session --revoke sends to a base URL
	// (resolve.Session).
	Session  func(ctx context.Context, baseURL string) (resolve.Session, error)
	Store    func() (credentials.Store, error)
	Config   func() (*config.File, error)
	Prompter func() *ui.Prompter
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

// NewCmdScan returns `keys scan`; runF replaces the run in tests.
func NewCmdScan(f *cmdutil.Factory, runF func(*ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IOStreams, ClientFor: f.ClientFor, Client: f.Client, Session: f.Resolve.Session,
		Store: f.Resolve.Store, Config: f.Config, Prompter: f.Prompter, VerifyTarget: f.Resolve.ForScannedKey}
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
		Annotations: map[string]string{cmdutil.AnnotationOutputs: strings.Join(outputs(), ",")},
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
	if err := cmdutil.OneOf("output", o.Output, outputs()...); err != nil {
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
		if err := zscan.ValidateExclude(p); err != nil {
			return cmdutil.Usagef("invalid --exclude: %v", err)
		}
	}
	if o.Revoke {
		o.Verify = true
		if !o.Yes && !o.IO.CanPrompt() {
			return cmdutil.WithHint(cmdutil.Usagef("--yes is required with --revoke when not running interactively"),
				"Run `zupy keys scan --revoke --yes` to revoke the live keys found")
		}
	}
	if len(o.Paths) == 0 && !o.Stdin {
		o.Paths = []string{"."}
	}
	return nil
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

	rep := newReport(opts, findings, verdicts, stats)
	if err := writerOf(opts.Output).write(opts.IO, rep); err != nil {
		return err
	}
	count := rep.summarize(opts.IO)
	if revokeErr != nil {
		return revokeErr
	}
	if count > 0 && opts.ExitCode != 0 {
		return &cmdutil.SilentError{Code: opts.ExitCode}
	}
	return nil
}

// find runs the scan the flags ask for.
func (o *ScanOptions) find(ctx context.Context) ([]zscan.Finding, zscan.Stats, error) {
	so := zscan.Options{Exclude: o.Exclude, Warn: func(err error) {
		fmt.Fprintf(o.IO.ErrOut, "%s %s\n", o.IO.ErrColorScheme().WarningIcon(), ui.SingleLine(err.Error()))
	}}
	switch {
	case o.Stdin:
		return zscan.ScanReader(cmdutil.ContextReader(ctx, o.IO.In), "-")
	case o.Git:
		dir := "."
		if len(o.Paths) == 1 {
			dir = o.Paths[0]
		}
		if err := CheckPath(dir); err != nil {
			return nil, zscan.Stats{}, err
		}
		return zscan.ScanHistory(ctx, dir, so)
	}
	for _, p := range o.Paths {
		if err := CheckPath(p); err != nil {
			return nil, zscan.Stats{}, err
		}
	}
	return zscan.ScanPaths(ctx, o.Paths, so)
}

// CheckPath makes a missing PATH argument a usage error (keys scan, keys
// audit --scan).
func CheckPath(p string) error {
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return cmdutil.Usagef("%s: no such file or folder", p)
		}
		return err
	}
	return nil
}
