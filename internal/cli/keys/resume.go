package keys

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// selfResumeWindow is how far back a resumed watch under --self reads the
// usage: a key cannot read when its successor was created.
const selfResumeWindow = 6 * time.Hour

// resumeRun is --resume: the rotation in flight is found on the server
// (docs/rotation.md#resume), so it works from a fresh CI runner; the local
// note only adds which targets were done. The secret is recovered from a
// --deploy-file that holds it or from the profile's store (--save), checked
// against the server's key hint without being sent.
func resumeRun(ctx context.Context, opts *RotateOptions) error {
	pre, err := preflight(opts)
	if err != nil {
		return err
	}
	rb := &runbook{opts: opts, files: pre.files, done: map[int]bool{}, self: opts.Self}
	if opts.Self {
		err = rb.findSelf(ctx)
	} else {
		err = rb.findBySession(ctx)
	}
	if err != nil {
		return err
	}
	if opts.Watch && !opts.watchTimeoutSet {
		left := rb.graceEnds.Sub(rb.now())
		if opts.WatchTimeout = left - watchMargin; opts.WatchTimeout <= 0 {
			return usageHint("Give --watch-timeout shorter than that, or finish by hand",
				"the old key's grace ends %s: too soon to watch with the default 15 minutes to spare", ui.RelativeTime(rb.graceEnds, rb.now()))
		}
	}
	if opts.Watch && !rb.graceEnds.IsZero() && opts.WatchTimeout > rb.graceEnds.Sub(rb.now()) {
		return usageHint("The old key stops working when its grace ends: watch for less",
			"--watch-timeout %s is longer than what is left of the grace (it ends %s)", durText(opts.WatchTimeout), rb.graceEnds.UTC().Format(time.RFC3339))
	}
	if pre.stateDir != "" {
		if rb.note, err = loadNote(pre.stateDir, rb.key.KeyID, rb.oldID, rb.client.BaseURL()); err != nil {
			return err
		}
	}
	var left []string
	for i, t := range opts.Targets {
		if f := rb.files[i]; f != nil && rb.secret() != "" {
			if v, ok := f.value(); ok && v == rb.secret() {
				rb.done[i] = true
			}
		}
		if rb.note != nil && rb.note.isDone(t) {
			rb.done[i] = true
		}
		if !rb.done[i] {
			left = append(left, t.String())
		}
	}
	if len(left) > 0 && rb.secret() == "" {
		return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindOther, Code: "secret_not_recoverable",
			Msg: fmt.Sprintf("cannot resume the rotation %s → %s: %s still %s the new secret, which was neither saved (--save) nor written by --deploy-file",
				rb.oldID, rb.key.KeyID, strings.Join(left, ", "), map[bool]string{true: "needs", false: "need"}[len(left) == 1])},
			fmt.Sprintf("Undo the rotation with `%s` (needs a login) and rotate again", cmdutil.ZupyCommand(opts.Profile, "keys rotate --undo "+rb.key.KeyID)))
	}
	s := rb.step("resume")
	ends := "the end of its grace"
	if !rb.graceEnds.IsZero() {
		ends = rb.graceEnds.UTC().Format(time.RFC3339)
	}
	rb.end(s, ui.StepDone, fmt.Sprintf("%s → %s in flight; the old key works until %s; %d of %d targets to deploy",
		rb.oldID, rb.key.KeyID, ends, len(left), len(opts.Targets)))
	var base int64
	if opts.Watch {
		if rb.note != nil && rb.note.Baseline != nil {
			base = *rb.note.Baseline
		} else if base, err = rb.baseline(ctx); err != nil {
			// Without the note, the watch counts the new key's requests
			// from now on: those made before cannot be told from zupy's
			// own verify.
			return err
		}
		if rb.note != nil {
			rb.note.Baseline = &base
		}
	}
	if rb.note != nil {
		if err := rb.note.save(); err != nil {
			rb.info("Warning: could not write %s: %v", rb.note.path, err)
		}
	}
	return rb.rest(ctx, base)
}

// findBySession finds the rotation with the login: by the successor's id,
// or the one active key with a successor.
func (rb *runbook) findBySession(ctx context.Context) error {
	opts := rb.opts
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	rb.client, rb.token = s.client, s.token()
	var succ, pred *api.Key
	var resp *api.Response
	if opts.SuccessorID != "" {
		if succ, resp, err = s.client.GetKey(ctx, s.token(), opts.SuccessorID); err != nil {
			return s.wrap(err)
		}
		if succ.RotatedFrom == nil {
			return noRotation(fmt.Sprintf("%s is not the new key of a rotation", succ.KeyID))
		}
		if pred, resp, err = s.client.GetKey(ctx, s.token(), *succ.RotatedFrom); err != nil {
			return s.wrap(err)
		}
		if pred.Status != api.StatusActive || pred.RotatedTo == nil || *pred.RotatedTo != succ.KeyID {
			return noRotation(fmt.Sprintf("the rotation %s → %s is not in flight: the old key is %s", pred.KeyID, succ.KeyID, pred.Status))
		}
	} else {
		keys, _, err := s.client.ListKeys(ctx, s.token(), "", api.StatusActive)
		if err != nil {
			return s.wrap(err)
		}
		var found []api.Key
		for _, k := range keys {
			if k.RotatedTo != nil {
				found = append(found, k)
			}
		}
		switch len(found) {
		case 0:
			return noRotation("no rotation in flight: no active key has a successor")
		case 1:
		default:
			var ids []string
			for _, k := range found {
				ids = append(ids, *k.RotatedTo)
			}
			return usageHint("Name the new key: zupy keys rotate --resume SUCCESSOR_ID", "%d rotations are in flight (new keys %s)", len(found), strings.Join(ids, ", "))
		}
		pred = &found[0]
		if succ, resp, err = s.client.GetKey(ctx, s.token(), *pred.RotatedTo); err != nil {
			return s.wrap(err)
		}
	}
	rb.learnClock(resp)
	k := *succ
	rb.key, rb.oldID, rb.graceEnds = &k, pred.KeyID, pred.ExpiresAt
	rb.since = succ.CreatedAt.UTC().Truncate(time.Minute)
	for _, f := range rb.files {
		if v, ok := f.value(); ok && matchesHint(v, succ.KeyHint) {
			rb.key.APIKey = v
			return nil
		}
	}
	if c, err := opts.ChooseKey(ctx, succ.KeyID); err == nil && matchesHint(c.Key.Secret, succ.KeyHint) {
		rb.key.APIKey = c.Key.Secret
	}
	return nil
}

// findSelf finds the rotation with the successor's own secret, from a
// --deploy-file first, then the key in use (--key-id, ZUPY_API_KEY, the
// default key): the one whose lineage shows an active predecessor that
// rotated to it. The self usage route records no request.
func (rb *runbook) findSelf(ctx context.Context) error {
	opts := rb.opts
	var secrets []string
	for i := range opts.Targets {
		if f := rb.files[i]; f != nil {
			if v, ok := f.value(); ok {
				secrets = append(secrets, v)
			}
		}
	}
	client, err := opts.Client()
	if err != nil {
		return err
	}
	if c, err := opts.ChooseKey(ctx, opts.SelfKeyID); err == nil {
		secrets = append(secrets, c.Key.Secret)
		if client, err = opts.ClientFor(c.BaseURL); err != nil {
			return err
		}
	}
	rb.client = client
	if opts.RevokeOld {
		if rb.token, err = sessionFor(ctx, opts, client); err != nil {
			return cmdutil.WithHint(err, "--revoke-old with --self needs a login: a key cannot revoke its predecessor")
		}
	}
	var lastErr error
	seen := map[string]bool{}
	for _, secret := range secrets {
		if seen[secret] {
			continue
		}
		seen[secret] = true
		if _, err := apikey.Parse(secret); err != nil {
			continue
		}
		u, resp, err := client.SelfUsage(ctx, secret, api.UsageQuery{Since: "1h", Lineage: true})
		if err != nil {
			lastErr = err
			continue
		}
		for _, l := range u.Lineage {
			if l.RotatedTo != nil && *l.RotatedTo == u.KeyID && l.Status == api.StatusActive {
				rb.learnClock(resp)
				rb.key = &api.Key{KeyID: u.KeyID, APIKey: secret, Environment: keyEnvironment(secret)}
				rb.oldID = l.KeyID
				rb.since = u.Until.UTC().Add(-selfResumeWindow).Truncate(time.Minute)
				return nil
			}
		}
	}
	msg := "no rotation in flight for the keys found: the --deploy-file values and the key in use are not the new key of a rotation whose old key is still in its grace"
	if lastErr != nil {
		return cmdutil.WithHint(noRotation(msg), "The last key tried was refused: "+lastErr.Error())
	}
	return noRotation(msg)
}

func noRotation(msg string) error {
	return &cmdutil.CodedError{Kind: api.KindNotFound, Code: "no_rotation", Msg: msg}
}
