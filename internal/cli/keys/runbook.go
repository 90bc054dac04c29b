package keys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// The rotation runbook of `keys rotate` (docs/rotation.md): after the
// successor is created, deploy it to each target, watch the usage routes
// until the new key is called and the old one idle, then revoke the old key
// or say when and how.

// pollInterval is how often the watch reads the usage routes. It waits
// through the factory's Sleep, so tests move the emulator's clock instead.
const pollInterval = 5 * time.Second

// runbookStep is one line of the checklist and of the -o json document.
type runbookStep struct {
	Name      string     `json:"name"`
	State     string     `json:"state"`
	Detail    string     `json:"detail,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
}

// watchReport is what the watch saw, by the server's clock.
type watchReport struct {
	NewRequests       int64      `json:"new_key_requests"`
	NewFirstRequestAt *time.Time `json:"new_key_first_request_at"`
	NewIPs            []string   `json:"new_key_ips"`
	OldLastRequestAt  *time.Time `json:"old_key_last_request_at"`
	OldIdleSince      time.Time  `json:"old_key_idle_since"`
	// OldRecent is the old key's requests in the minutes that overlap the
	// last --idle.
	OldRecent int64 `json:"old_key_recent_requests"`
	// SwitchedAt is the end of the minute of the new key's first request:
	// from it on, the usage routes should show no request of the old key.
	SwitchedAt *time.Time `json:"switched_at"`
	ServerNow  time.Time  `json:"server_now"`
}

// runbookDoc is the final -o json document.
type runbookDoc struct {
	KeyID         string         `json:"key_id"`
	PreviousKeyID string         `json:"previous_key_id"`
	Environment   string         `json:"environment"`
	Finished      bool           `json:"finished"`
	GraceEndsAt   *time.Time     `json:"grace_ends_at,omitempty"`
	Steps         []*runbookStep `json:"steps"`
	Watch         *watchReport   `json:"watch,omitempty"`
	Targets       []targetState  `json:"targets"`
	// APIKey is the new secret, only when a new rotation had no target to
	// hold it: as `keys rotate -o json` prints it, it is printed once.
	APIKey string `json:"api_key,omitempty"`
}

// targetState says which key a deploy target holds.
type targetState struct {
	Target string `json:"target"`
	Holds  string `json:"holds"` // "new", "old", "unknown"
}

// runbook is one run: a rotation just made, or one found in flight
// (--resume).
type runbook struct {
	opts   *RotateOptions
	client *api.Client
	// token is the session: "" under --self unless --revoke-old found one.
	token string
	// self: the usage and undo routes are the self ones, called with the
	// successor's secret, never the predecessor's.
	self bool
	// oldSecret is the predecessor's secret when known (--self), masked in
	// the deploy commands' output.
	oldSecret string
	key       *api.Key // the successor; APIKey "" when not recoverable
	oldID     string
	graceEnds time.Time
	// since is where the watch's series start: the minute the successor
	// was created (or, resuming under --self, a window before now).
	since   time.Time
	files   map[int]*dotenvFile
	done    map[int]bool
	ran     map[int]bool // deployed by this run (restored on a failure)
	note    *rotationNote
	offset  time.Duration // server clock − local clock
	lastNow time.Time
	// printSecret: a new rotation without targets, whose -o json document
	// is the one place the new secret is shown; undone: the new key was
	// revoked by an undo.
	printSecret, undone bool
	steps               []*runbookStep
	watch               *watchReport
	lastLine            string
	live                *ui.LiveView
}

// now is the server's time as last learnt (its Date header counts whole
// seconds), never earlier than a time it returned before, so a step never
// ends before it started.
func (r *runbook) now() time.Time {
	t := r.opts.Now().Add(r.offset)
	if t.Before(r.lastNow) {
		return r.lastNow
	}
	r.lastNow = t
	return t
}

func (r *runbook) learnClock(resp *api.Response) {
	if resp != nil && !resp.Date.IsZero() {
		r.offset = resp.Date.Sub(r.opts.Now())
	}
}

// step starts a step of the checklist.
func (r *runbook) step(name string) *runbookStep {
	t := r.now()
	s := &runbookStep{Name: name, State: ui.StepRunning, StartedAt: &t}
	r.steps = append(r.steps, s)
	return s
}

// end finishes s and prints its line (on a terminal and in a pipe alike:
// one line per change; -o json prints the document at the end instead).
func (r *runbook) end(s *runbookStep, state, detail string) {
	t := r.now()
	s.State, s.Detail, s.EndedAt = state, detail, &t
	r.line(ui.ChecklistLine(r.opts.IO.ColorScheme(), state, s.Name+": "+detail))
}

func (r *runbook) line(text string) {
	if r.opts.JSON {
		return
	}
	fmt.Fprintln(r.opts.IO.Out, text)
}

// info is a note on stderr, kept out of stdout's document.
func (r *runbook) info(format string, args ...any) {
	fmt.Fprintln(r.opts.IO.ErrOut, ui.SingleLine(fmt.Sprintf(format, args...)))
}

func (r *runbook) secret() string {
	if r.key == nil {
		return ""
	}
	return r.key.APIKey
}

// deployAll deploys to every target not done yet, in order, recording each
// in the local note. On a failure it restores the dotenv files of this run
// and undoes the rotation when no target held the new key before.
func (r *runbook) deployAll(ctx context.Context, targets []deployTarget) error {
	for i, t := range targets {
		if r.done[i] {
			continue
		}
		s := r.step("deploy " + t.String())
		var err error
		if t.isFile() {
			err = r.files[i].deploy(r.secret())
		} else {
			err = r.runCommand(ctx, t)
		}
		if err != nil {
			r.end(s, ui.StepFailed, err.Error())
			return r.deployFailed(ctx, targets, i, err)
		}
		r.done[i] = true
		if r.ran == nil {
			r.ran = map[int]bool{}
		}
		r.ran[i] = true
		r.end(s, ui.StepDone, "holds the new key "+r.key.KeyID)
		if r.note != nil {
			r.note.markDone(t)
			if err := r.note.save(); err != nil {
				r.info("Warning: could not record the deploy in %s: %v", r.note.path, err)
			}
		}
	}
	return nil
}

func (r *runbook) runCommand(ctx context.Context, t deployTarget) error {
	o := r.opts
	if o.DeployEnv != "" && expandsVar(t.Cmd, o.DeployEnv) {
		r.info("Warning: %s expands $%s into its text: a program given it as an argument shows the secret to every local user (ps); read it from stdin instead", t, o.DeployEnv)
	}
	env := deployEnv(os.Environ(), r.key.KeyID, r.oldID, r.key.Environment, o.DeployEnv, r.secret())
	// The old secret is known under --self, and as the value a
	// --deploy-file held before this run.
	secrets := []string{r.secret(), r.oldSecret}
	for _, f := range r.files {
		if v, ok := dotenvValue(f.Before, f.Target.Var); ok && len(v) >= 8 {
			secrets = append(secrets, v)
		}
	}
	out := newMaskWriter(o.IO.ErrOut, "    ", secrets...)
	err := runDeployCommand(ctx, t.Cmd, r.secret(), env, out, o.DeployTimeout)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
}

// deployFailed handles the failure of target i: the dotenv files of this
// run are restored; with no target holding the new key (the first failed)
// the rotation is undone, else nothing is revoked and the targets are named.
func (r *runbook) deployFailed(ctx context.Context, targets []deployTarget, failed int, cause error) error {
	restored := r.restoreFiles()
	heldNew := false // a target that keeps the new key: a command, or a file not restored
	for i := range targets {
		heldNew = heldNew || r.done[i]
	}
	if !heldNew {
		s := r.step("undo the rotation")
		if _, err := r.undo(ctx); err != nil {
			r.end(s, ui.StepFailed, err.Error())
			return cmdutil.WithHint(fmt.Errorf("deploy to %s failed (%v), and undoing the rotation failed: %w", targets[failed], cause, err),
				fmt.Sprintf("Undo it with `%s`, or revoke the new key %s", cmdutil.ZupyCommand(r.opts.Profile, "keys rotate --undo "+r.key.KeyID), r.key.KeyID))
		}
		r.end(s, ui.StepDone, fmt.Sprintf("revoked %s; %s is as before the rotation", r.key.KeyID, r.oldID))
		return r.failWith(&cmdutil.CodedError{Kind: api.KindOther, Code: "deploy_failed",
			Msg: fmt.Sprintf("deploy to %s failed: %v; the rotation was undone: the old key %s is untouched", targets[failed], cause, r.oldID)})
	}
	var holds []string
	for i, t := range targets {
		switch {
		case r.done[i]:
			holds = append(holds, fmt.Sprintf("%s holds the new key %s", t, r.key.KeyID))
		case i == failed:
			holds = append(holds, fmt.Sprintf("%s failed: it holds the old key %s, or whatever the command left", t, r.oldID))
		case restored[i]:
			holds = append(holds, fmt.Sprintf("%s was restored: it holds the old key %s", t, r.oldID))
		default:
			holds = append(holds, fmt.Sprintf("%s was not run: it holds the old key %s", t, r.oldID))
		}
	}
	for _, h := range holds {
		r.info("  %s", h)
	}
	resume := cmdutil.ZupyCommand(r.opts.Profile, "keys rotate --resume "+r.key.KeyID+" …")
	undo := cmdutil.ZupyCommand(r.opts.Profile, "keys rotate --undo "+r.key.KeyID)
	return r.failWith(cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindOther, Code: "deploy_failed",
		Msg: fmt.Sprintf("deploy to %s failed: %v; nothing was revoked: both keys stay valid until %s", targets[failed], cause, r.graceEnds.UTC().Format(time.RFC3339))},
		fmt.Sprintf("Fix the target and finish with `%s` (the same --deploy flags), or put the old key back in the targets above and run `%s`", resume, undo)))
}

// restoreFiles puts back the dotenv files this run rewrote.
func (r *runbook) restoreFiles() map[int]bool {
	restored := map[int]bool{}
	for i, f := range r.files {
		if !r.ran[i] {
			continue
		}
		if err := f.restore(); err != nil {
			r.info("Could not restore %s: %v", f.Target.Path, err)
			continue
		}
		restored[i] = true
		r.done[i] = false
		if r.note != nil {
			r.note.markUndone(f.Target)
		}
	}
	if r.note != nil && len(restored) > 0 {
		_ = r.note.save()
	}
	return restored
}

// undo undoes the rotation through the API: the session's route, or under
// --self the successor's own.
func (r *runbook) undo(ctx context.Context) (*api.Key, error) {
	var k *api.Key
	var resp *api.Response
	var err error
	if r.self {
		k, resp, err = r.client.UndoSelfRotation(ctx, r.secret())
	} else {
		k, resp, err = r.client.UndoRotation(ctx, r.token, r.key.KeyID)
	}
	r.learnClock(resp)
	r.undone = err == nil
	return k, err
}

// failWith prints the -o json document of the steps so far, then returns
// err for the one place errors are printed.
func (r *runbook) failWith(err error) error {
	if r.opts.JSON {
		_ = ui.WriteJSON(r.opts.IO.Out, r.doc(false))
	}
	return err
}

func (r *runbook) doc(finished bool) runbookDoc {
	targets := r.opts.Targets
	d := runbookDoc{KeyID: r.key.KeyID, PreviousKeyID: r.oldID, Environment: r.key.Environment, Finished: finished,
		Steps: r.steps, Watch: r.watch, Targets: []targetState{}}
	if r.printSecret && !r.undone {
		d.APIKey = r.secret()
	}
	if !r.graceEnds.IsZero() {
		g := r.graceEnds.UTC()
		d.GraceEndsAt = &g
	}
	for i, t := range targets {
		h := "old"
		if r.done[i] {
			h = "new"
		}
		d.Targets = append(d.Targets, targetState{Target: t.String(), Holds: h})
	}
	return d
}

// usage reads the successor's usage with its lineage, since the rotation,
// in minute buckets: with the session, or under --self with the successor.
func (r *runbook) usage(ctx context.Context, since time.Time) (*api.KeyUsage, error) {
	q := api.UsageQuery{Since: since.UTC().Format(time.RFC3339), Bucket: wire.BucketMinute, Lineage: true}
	var u *api.KeyUsage
	var resp *api.Response
	var err error
	if r.self {
		u, resp, err = r.client.SelfUsage(ctx, r.secret(), q)
	} else {
		u, resp, err = r.client.KeyUsage(ctx, r.token, r.key.KeyID, q)
	}
	r.learnClock(resp)
	if err != nil {
		return nil, usageError(err)
	}
	return u, nil
}

func (r *runbook) watchWindow() time.Time { return r.since }

// baseline is the successor's request count before the deploy: zupy's own
// verify and anything earlier is not counted by the watch.
func (r *runbook) baseline(ctx context.Context) (int64, error) {
	u, err := r.usage(ctx, r.watchWindow())
	if err != nil {
		return 0, err
	}
	return u.Totals.Requests, nil
}

// observe turns one usage answer into the watch's report.
func (r *runbook) observe(u *api.KeyUsage, base int64) *watchReport {
	w := &watchReport{NewRequests: max(0, u.Totals.Requests-base), NewIPs: []string{}, ServerNow: u.Until.UTC(), OldIdleSince: u.Since.UTC()}
	if w.NewRequests > 0 {
		for _, ip := range u.IPs {
			w.NewIPs = append(w.NewIPs, ip.IP)
		}
		// The first bucket in which the count passes the baseline.
		var sum int64
		for _, p := range u.Series {
			sum += p.Requests
			if sum > base {
				t, end := p.Start.UTC(), p.Start.UTC().Add(time.Minute)
				w.NewFirstRequestAt, w.SwitchedAt = &t, &end
				break
			}
		}
	}
	for _, l := range u.Lineage {
		if l.KeyID != r.oldID {
			continue
		}
		for _, p := range l.Series {
			// The buckets that overlap the last --idle.
			if p.Start.Add(time.Minute).After(w.ServerNow.Add(-r.opts.Idle)) {
				w.OldRecent += p.Requests
			}
		}
		for i := len(l.Series) - 1; i >= 0; i-- {
			if l.Series[i].Requests > 0 {
				t := l.Series[i].Start.UTC()
				w.OldLastRequestAt = &t
				// A request in a minute bucket may be at its last second:
				// the key is idle since the end of the bucket at the latest.
				w.OldIdleSince = t.Add(time.Minute)
				break
			}
		}
	}
	return w
}

func (w *watchReport) done(minRequests int64, idle time.Duration) bool {
	return w.NewRequests >= minRequests && w.ServerNow.Sub(w.OldIdleSince) >= idle
}

// watchText is the watch's line: the new key's count and addresses, the
// old key's idle time, each with a sparkline of its last minutes.
func (r *runbook) watchText(w *watchReport, u *api.KeyUsage, sparks bool) string {
	o := r.opts
	idle := max(0, w.ServerNow.Sub(w.OldIdleSince)).Truncate(time.Second)
	text := fmt.Sprintf("new key %s: %d of %d requests", r.key.KeyID, min(w.NewRequests, int64(o.MinRequests)), o.MinRequests)
	if len(w.NewIPs) > 0 {
		text += " from " + strings.Join(w.NewIPs, ", ")
	}
	if sparks {
		text += " " + ui.Sparkline(lastCounts(u.Series, 10))
	}
	text += fmt.Sprintf("; old key %s idle %s of %s", r.oldID, durText(idle), durText(o.Idle))
	if sparks {
		for _, l := range u.Lineage {
			if l.KeyID == r.oldID {
				text += " " + ui.Sparkline(lastCounts(l.Series, 10))
			}
		}
	}
	return text
}

func lastCounts(series []api.UsagePoint, n int) []int64 {
	series = series[max(0, len(series)-n):]
	out := make([]int64, len(series))
	for i, p := range series {
		out[i] = p.Requests
	}
	return out
}

// watchUntil polls until the watch is done or its deadline (server clock)
// passes; on a terminal the line is redrawn in place, in a pipe a line is
// printed whenever it changes.
func (r *runbook) watchUntil(ctx context.Context, base int64) error {
	o := r.opts
	s := r.step("watch")
	start := time.Time{}
	tty := o.IO.IsStdoutTTY() && !o.JSON
	if tty {
		r.live = o.IO.NewLiveView()
	}
	for {
		u, err := r.usage(ctx, r.watchWindow())
		if err != nil {
			r.end(s, ui.StepFailed, err.Error())
			return r.failWith(err)
		}
		w := r.observe(u, base)
		r.watch = w
		if start.IsZero() {
			start = w.ServerNow
		}
		finished := w.done(int64(o.MinRequests), o.Idle)
		switch {
		case tty:
			state := ui.StepRunning
			if finished {
				state = ui.StepDone
			}
			text := ui.ChecklistLine(o.IO.ColorScheme(), state, "watch: "+r.watchText(w, u, true)) + "\n"
			if !finished && o.RevokeOld {
				// The step still to come, below the live one; the last
				// drawing leaves it out, for the step's own line.
				text += ui.ChecklistLine(o.IO.ColorScheme(), ui.StepPending, "revoke "+r.oldID) + "\n"
			}
			r.live.Draw(text)
		case !o.JSON:
			if text := r.watchText(w, u, false); text != r.lastLine {
				r.lastLine = text
				fmt.Fprintln(o.IO.Out, "… watch: "+text)
			}
		}
		if finished {
			t := r.now()
			s.State, s.EndedAt = ui.StepDone, &t
			s.Detail = r.watchText(w, u, false)
			if !tty {
				r.line(ui.ChecklistLine(o.IO.ColorScheme(), ui.StepDone, "watch: the new key is in use and the old key idle"))
			}
			return nil
		}
		if w.ServerNow.Sub(start) >= o.WatchTimeout {
			r.end(s, ui.StepFailed, "timed out: "+r.watchText(w, u, false))
			msg := fmt.Sprintf("rotation not finished: after %s (--watch-timeout) %s", durText(o.WatchTimeout), r.watchText(w, u, false))
			return r.failWith(cmdutil.WithHint(notFinished(msg),
				fmt.Sprintf("The old key %s was left alone; it stops working %s. Find the consumer still using it, then `%s`",
					r.oldID, r.graceEnds.UTC().Format(time.RFC3339), cmdutil.ZupyCommand(o.Profile, "keys rotate --resume "+r.key.KeyID+" --watch"))))
		}
		if err := o.Sleep(ctx, pollInterval); err != nil {
			if errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

// finish revokes the old key (--revoke-old), or says when its grace ends
// and how to revoke it sooner.
func (r *runbook) finish(ctx context.Context, targets []deployTarget) error {
	o := r.opts
	if o.RevokeOld {
		s := r.step("revoke " + r.oldID)
		// Revoking is a session's (docs/api.md has no route for a key to
		// revoke its predecessor): --revoke-old under --self found one
		// before anything was sent.
		k, resp, err := r.client.RevokeKey(ctx, r.token, r.oldID)
		r.learnClock(resp)
		if err != nil {
			r.end(s, ui.StepFailed, err.Error())
			return r.failWith(err)
		}
		r.end(s, ui.StepDone, "status "+k.Status)
	} else {
		ends := "the end of its grace"
		if !r.graceEnds.IsZero() {
			ends = r.graceEnds.UTC().Format(time.RFC3339)
		}
		r.line(fmt.Sprintf("The old key %s keeps working until %s; revoke it sooner with `%s`", r.oldID,
			ends, cmdutil.ZupyCommand(o.Profile, "keys revoke "+r.oldID)))
	}
	if o.JSON {
		return ui.WriteJSON(o.IO.Out, r.doc(true))
	}
	return nil
}

// matchesHint reports whether secret is the key whose hint the server
// shows, so a recovered secret is checked without sending it.
func matchesHint(secret, hint string) bool {
	return secret != "" && hint != "" && apikey.Mask(secret) == hint
}
