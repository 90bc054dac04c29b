package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/ui"
)

// watchMargin is how long before the end of the grace the watch gives up
// by default, so the old key still works when zupy stops.
const watchMargin = 15 * time.Minute

// parseRunbook checks the runbook's flags (docs/rotation.md): every
// refusal is a usage error, before anything is sent.
func (o *RotateOptions) parseRunbook(cmd *cobra.Command, args []string) error {
	changed := cmd.Flags().Changed
	hasCmd, hasFile := false, false
	for _, t := range o.Targets {
		hasCmd = hasCmd || !t.isFile()
		hasFile = hasFile || t.isFile()
	}
	switch {
	case o.Resume && o.Undo:
		return cmdutil.Usagef("--resume and --undo cannot be combined")
	case o.Undo && (len(o.Targets) > 0 || o.Watch):
		return usageHint("Undo first, then rotate again", "--undo cannot be combined with --deploy, --deploy-file or --watch")
	case o.DeployEnv != "" && !hasCmd:
		return cmdutil.Usagef("--deploy-env needs --deploy: it names the variable a deploy command finds the secret in")
	case o.DeployEnv != "" && !envName.MatchString(o.DeployEnv):
		return cmdutil.Usagef("invalid --deploy-env %q: not an environment variable name", o.DeployEnv)
	case changed("deploy-timeout") && !hasCmd:
		return cmdutil.Usagef("--deploy-timeout needs --deploy")
	case o.DeployTimeout <= 0:
		return cmdutil.Usagef("invalid --deploy-timeout %s: must be positive", o.DeployTimeout)
	case o.FollowSymlinks && !hasFile:
		return cmdutil.Usagef("--follow-symlinks needs --deploy-file")
	case !o.Watch && (changed("min-requests") || changed("idle") || changed("watch-timeout")):
		return cmdutil.Usagef("--min-requests, --idle and --watch-timeout need --watch")
	case o.RevokeOld && !o.Watch:
		return usageHint("Add --watch: zupy revokes the old key only once the usage shows it idle", "--revoke-old needs --watch")
	case o.MinRequests < 1:
		return cmdutil.Usagef("invalid --min-requests %d: must be at least 1", o.MinRequests)
	case o.Idle <= 0:
		return cmdutil.Usagef("invalid --idle %s: must be positive", o.Idle)
	case o.watchTimeoutSet && o.WatchTimeout <= 0:
		return cmdutil.Usagef("invalid --watch-timeout %s: must be positive", o.WatchTimeout)
	}
	grace, err := parseGrace(o.GraceRaw)
	if err != nil {
		return err
	}
	o.Grace = grace
	if o.graceSet && grace == 0 && (len(o.Targets) > 0 || o.Watch || o.Undo) {
		return usageHint("Give a grace period (the default is 24h): during it the old key still works if the new one does not",
			"--grace 0 cannot be combined with --deploy, --deploy-file, --watch or --undo: there would be no old key to fall back on")
	}
	if o.Resume || o.Undo {
		if o.Resume && o.graceSet {
			return cmdutil.Usagef("--grace cannot be combined with --resume: the rotation in flight has its grace already")
		}
		if o.Save || o.InsecureStorage || o.NoVerify {
			return cmdutil.Usagef("--save, --insecure-storage and --no-verify apply to a new rotation, not to --resume or --undo")
		}
		switch {
		case len(args) > 1:
			return cmdutil.Usagef("unexpected argument %q", args[1])
		case o.Self && len(args) == 1:
			return usageHint("With --self the key in use (--key-id, ZUPY_API_KEY or the default key) is the successor", "--self takes no KEY_ID (got %q)", args[0])
		case o.Undo && !o.Self && len(args) == 0:
			return usageHint("Usage: zupy keys rotate --undo SUCCESSOR_ID", "--undo needs the KEY_ID of the new key (or --self)")
		case !o.Self && o.SelfKeyID != "":
			return usageHint("Rotate a key by id as KEY_ID, or a saved key with itself with --self --key-id", "--key-id needs --self")
		}
		if len(args) == 1 {
			if o.SuccessorID, err = keyIDFrom(args); err != nil {
				return err
			}
		}
		if o.Self && o.SelfKeyID != "" {
			return checkKeyID(o.SelfKeyID)
		}
		if o.Resume && o.Self && o.Watch && !o.watchTimeoutSet {
			return usageHint("Give --watch-timeout, shorter than what is left of the grace", "--resume --self --watch needs --watch-timeout: a key cannot read when its predecessor's grace ends")
		}
		return nil
	}
	if o.Watch && !o.watchTimeoutSet {
		if o.WatchTimeout = grace - watchMargin; o.WatchTimeout <= 0 {
			return usageHint("Give --watch-timeout shorter than the grace, or a longer --grace",
				"--grace %s leaves no time to watch: the watch stops 15 minutes before the grace ends", durText(grace))
		}
	}
	if o.Watch && o.WatchTimeout > grace {
		return usageHint("The old key stops working when the grace ends: watch for less than --grace",
			"--watch-timeout %s is longer than --grace %s", durText(o.WatchTimeout), durText(grace))
	}
	return nil
}

// checked is what preflight found before anything was sent: the dotenv
// files, read, and the folder of the local note.
type checked struct {
	files    map[int]*dotenvFile
	stateDir string
}

func preflight(opts *RotateOptions) (*checked, error) {
	c := &checked{files: map[int]*dotenvFile{}}
	if !opts.runbook() {
		return c, nil
	}
	for i, t := range opts.Targets {
		if !t.isFile() {
			continue
		}
		f, err := openDotenv(t, opts.FollowSymlinks)
		if err != nil {
			return nil, err
		}
		c.files[i] = f
	}
	dir, err := opts.StateDir()
	if err != nil {
		return nil, err
	}
	if _, err := rotationsDir(dir); err != nil {
		return nil, err
	}
	c.stateDir = dir
	return c, nil
}

// sessionFor is the login of the profile for client's base URL, as
// internal/cli/resolve decides it.
func sessionFor(ctx context.Context, opts *RotateOptions, client *api.Client) (string, error) {
	r, err := opts.Resolver()
	if err != nil {
		return "", err
	}
	s, err := resolve.SessionFor(ctx, r, client.BaseURL())
	if err != nil {
		return "", err
	}
	return s.Token, nil
}

// notFinished is the error of a watch that timed out: exit 8.
func notFinished(msg string) error {
	return &cmdutil.CodedError{Kind: api.KindOther, Code: cmdutil.CodeNotFinished, Msg: msg}
}

// runRunbook goes on from a rotation just made: deploy, watch, finish.
func runRunbook(ctx context.Context, opts *RotateOptions, pre *checked, r *rotation, token, oldSecret string) error {
	rb := &runbook{opts: opts, client: r.client, token: token, self: opts.Self, oldSecret: oldSecret, key: r.key,
		files: pre.files, done: map[int]bool{}, since: r.key.CreatedAt.UTC().Truncate(time.Minute)}
	rb.learnClock(r.resp)
	rb.printSecret = len(opts.Targets) == 0 && opts.JSON
	if p := r.key.PreviousKey; p != nil {
		rb.oldID, rb.graceEnds = p.KeyID, p.ExpiresAt
	}
	s := rb.step("rotate")
	rb.end(s, ui.StepDone, fmt.Sprintf("%s → %s; the old key works until %s", rb.oldID, r.key.KeyID, rb.graceEnds.UTC().Format(time.RFC3339)))
	for _, n := range r.out.Notes {
		rb.info("%s", n)
	}
	if len(opts.Targets) == 0 && !opts.JSON {
		// No target: the person deploys the secret, so it is printed.
		if err := r.out.print(opts.IO, false, r.resp.ServerNow(opts.Now())); err != nil {
			return err
		}
	}
	if r.verifyErr != nil || r.saveErr != nil {
		cause := r.verifyErr
		if cause == nil {
			cause = r.saveErr
		}
		return rb.abort(ctx, cause)
	}
	note, err := loadNote(pre.stateDir, r.key.KeyID, rb.oldID, r.client.BaseURL())
	if err != nil {
		return rb.abort(ctx, err)
	}
	rb.note = note
	var base int64
	if opts.Watch {
		if base, err = rb.baseline(ctx); err != nil {
			return rb.abort(ctx, err)
		}
		note.Baseline = &base
	}
	if err := note.save(); err != nil {
		rb.info("Warning: could not write %s: %v; --resume will deploy every target again", note.path, err)
	}
	return rb.rest(ctx, base)
}

// rest deploys, watches and finishes, removing the note of a finished run.
func (rb *runbook) rest(ctx context.Context, base int64) error {
	opts := rb.opts
	if err := rb.deployAll(ctx, opts.Targets); err != nil {
		return err
	}
	if opts.Watch {
		if err := rb.watchUntil(ctx, base); err != nil {
			return err
		}
	}
	if err := rb.finish(ctx, opts.Targets); err != nil {
		return err
	}
	if opts.Watch && rb.note != nil {
		rb.note.remove()
	}
	return nil
}

// abort undoes a rotation before any deploy: the new key could not be
// verified, saved or watched.
func (rb *runbook) abort(ctx context.Context, cause error) error {
	s := rb.step("undo the rotation")
	if _, err := rb.undo(ctx); err != nil {
		rb.end(s, ui.StepFailed, err.Error())
		return cmdutil.WithHint(fmt.Errorf("%w; undoing the rotation failed too: %v", cause, err),
			fmt.Sprintf("Undo it with `%s`", cmdutil.ZupyCommand(rb.opts.Profile, "keys rotate --undo "+rb.key.KeyID)))
	}
	rb.end(s, ui.StepDone, fmt.Sprintf("revoked %s; %s is as before the rotation", rb.key.KeyID, rb.oldID))
	if rb.note != nil {
		rb.note.remove()
	}
	return rb.failWith(cmdutil.WithHint(cause, fmt.Sprintf("Nothing was deployed and the rotation was undone: the old key %s is untouched", rb.oldID)))
}

// printPlan is --dry-run: what would be done, nothing sent.
func printPlan(opts *RotateOptions) error {
	var b strings.Builder
	n := 0
	step := func(format string, args ...any) {
		n++
		fmt.Fprintf(&b, "  %d. %s\n", n, fmt.Sprintf(format, args...))
	}
	who := "key " + opts.KeyID + " (with the login)"
	if opts.KeyID == "" {
		who = "the key picked on the terminal (with the login)"
	}
	if opts.Self {
		who = "the key in use (--self: --key-id, ZUPY_API_KEY or the default key), with itself"
	}
	if opts.SuccessorID != "" {
		who = "the rotation that created " + opts.SuccessorID
	}
	b.WriteString("Plan (--dry-run: nothing was sent):\n")
	switch {
	case opts.Undo:
		step("undo %s: revoke the new key, restore the old key's expiry, so it can be rotated again", who)
	case opts.Resume:
		step("find %s in flight on the server (the old key still in its grace)", strings.TrimPrefix(who, "the rotation that created "))
	default:
		step("rotate %s; the old key keeps working for %s", who, durText(opts.Grace))
		if !opts.NoVerify {
			step("verify the new key with GET /auth/verify")
		}
		if opts.Save {
			step("save the new secret in the profile's store")
		}
	}
	for _, t := range opts.Targets {
		if t.isFile() {
			step("deploy: rewrite %s= in %s (atomically; restored on a failure)", t.Var, t.Path)
		} else {
			step("deploy: run %q with the new secret on its stdin (at most %s)", t.Cmd, durText(opts.DeployTimeout))
		}
	}
	if len(opts.Targets) > 0 && !opts.Resume {
		b.WriteString("     if the first target fails: undo the rotation (the old key untouched), exit 1;\n")
		b.WriteString("     if a later one fails: revoke nothing, restore the files, name the targets, exit 1\n")
	}
	if opts.Watch {
		timeout := "the grace minus 15m"
		if opts.WatchTimeout > 0 {
			timeout = durText(opts.WatchTimeout)
		}
		step("watch the usage until the new key made %d request(s) and the old key was idle %s; give up after %s (exit 8, the old key left alone)",
			opts.MinRequests, durText(opts.Idle), timeout)
	}
	switch {
	case opts.RevokeOld:
		step("revoke the old key once the watch is done")
	case !opts.Undo:
		step("leave the old key to the end of its grace, and print the command that revokes it")
	}
	_, err := fmt.Fprint(opts.IO.Out, b.String())
	return err
}

// undoRun is --undo: the session's route by id, or the successor's own
// under --self.
func undoRun(ctx context.Context, opts *RotateOptions) error {
	var k *api.Key
	var resp *api.Response
	var err error
	var client *api.Client
	successor := opts.SuccessorID
	if opts.Self {
		self, err := opts.ChooseKey(ctx, opts.SelfKeyID)
		if err != nil {
			return err
		}
		successor = self.KeyID // "" for a key from ZUPY_API_KEY: only the server knows its id
		if client, err = opts.ClientFor(self.BaseURL); err != nil {
			return err
		}
		k, resp, err = client.UndoSelfRotation(ctx, self.Key.Secret)
		if err != nil {
			return cmdutil.WithHint(err, undoHint(err, "the key from "+self.Describe()))
		}
	} else {
		s, err := openSession(ctx, opts.Client, opts.Resolver)
		if err != nil {
			return err
		}
		client = s.client
		if k, resp, err = s.client.UndoRotation(ctx, s.token(), opts.SuccessorID); err != nil {
			return cmdutil.WithHint(s.wrap(err), undoHint(err, opts.SuccessorID))
		}
	}
	if dir, err := opts.StateDir(); err == nil && successor != "" {
		if n, err := loadNote(dir, successor, k.KeyID, client.BaseURL()); err == nil {
			n.remove()
		}
	}
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, k)
	}
	now := resp.ServerNow(opts.Now())
	msg := fmt.Sprintf("Undid the rotation: %s is active again until %s (%s) and can be rotated again", k.KeyID,
		k.ExpiresAt.UTC().Format(time.RFC3339), ui.RelativeTime(k.ExpiresAt, now))
	if successor != "" {
		msg = fmt.Sprintf("Revoked %s. ", successor) + msg
	} else {
		msg = "Revoked the key in use. " + msg
	}
	_, err = fmt.Fprintln(opts.IO.Out, msg)
	return err
}

// undoHint explains the refusals of an undo.
func undoHint(err error, what string) string {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch apiErr.Kind() {
	case api.KindNotFound:
		return what + " is not the new key of a rotation: --undo takes the successor's KEY_ID"
	case api.KindConflict:
		return "The old key can no longer take over (its grace ended, it was revoked, or the rotation was undone already): rotate the new key instead"
	}
	return ""
}

// keyEnvironment is the environment of a secret, "" when it does not parse.
func keyEnvironment(secret string) string {
	k, err := apikey.Parse(secret)
	if err != nil {
		return ""
	}
	return string(k.Environment)
}

// durText writes a duration as its flag would be given: 2h, 1h45m, 90s, 2d.
func durText(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
