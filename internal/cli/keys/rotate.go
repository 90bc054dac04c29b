package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/keys/keystore"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// RotateOptions is what `keys rotate` uses.
type RotateOptions struct {
	IO        *ui.IOStreams
	JSON      bool
	Now       func() time.Time
	Profile   string
	Config    func() (*config.File, error)
	Settings  func() (*config.Resolver, error)
	Client    func() (*api.Client, error)
	ClientFor func(baseURL string) (*api.Client, error)
	Resolver  func() (credentials.Resolver, error)
	// ChooseKey finds the key --self rotates, as for ping (resolve.Key).
	ChooseKey func(ctx context.Context, keyID string) (*resolve.Choice, error)
	// Resolve chooses the store --save writes to.
	Resolve *resolve.Resolver

	KeyID           string
	Self            bool
	GraceRaw        string
	Grace           time.Duration
	Save            bool
	NoVerify        bool
	InsecureStorage bool
	// SelfKeyID is --key-id: the saved key --self rotates.
	SelfKeyID string

	// The runbook (runbook.go, docs/rotation.md).
	// Sleep waits between the watch's polls (the factory's: tests move the
	// emulator's clock); StateDir is $XDG_STATE_HOME/zupy.
	Sleep    func(ctx context.Context, d time.Duration) error
	StateDir func() (string, error)
	// Targets are --deploy and --deploy-file, in the order given.
	Targets         []deployTarget
	DeployEnv       string
	DeployTimeout   time.Duration
	FollowSymlinks  bool
	Watch           bool
	MinRequests     int
	Idle            time.Duration
	WatchTimeout    time.Duration
	watchTimeoutSet bool
	RevokeOld       bool
	DryRun          bool
	Resume          bool
	Undo            bool
	// SuccessorID is the KEY_ID of --resume and --undo.
	SuccessorID string
	// graceSet: --grace was given (the default 24h is not a choice).
	graceSet bool
	// session is the login --revoke-old uses under --self, found before
	// anything is sent.
	session string
}

// runbook reports whether the run goes beyond creating the successor.
func (o *RotateOptions) runbook() bool { return len(o.Targets) > 0 || o.Watch }

// NewCmdRotate returns `keys rotate`; runF replaces the run in tests.
func NewCmdRotate(f *cmdutil.Factory, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IOStreams, Now: f.Now, Config: f.Config, Settings: f.Settings, Client: f.Client,
		ClientFor: f.ClientFor, Resolver: f.Resolve.Credentials, ChooseKey: f.Resolve.Key, Resolve: f.Resolve,
		Sleep: f.Sleep, StateDir: func() (string, error) { return config.StateDir(f.Getenv) }}
	if opts.Sleep == nil {
		opts.Sleep = api.Sleep
	}
	cmd := &cobra.Command{
		Use:   "rotate {KEY_ID | --self}",
		Short: "Replace an API key with a new secret, keeping the old one for a grace period",
		Long: `Create the successor of an API key, with the same name, scopes, rate limit,
environment, IP allow-list, description and lifetime, and print its secret once
(as "keys create" does). The old key then expires at the earlier of its own
expiry and now + --grace (default 24h; 0 revokes it at once; at most 168h), so
deployments can switch over without downtime. A key can be rotated once.
On a terminal, without KEY_ID, a list of the active keys is offered.

Unless --no-verify, the new key is checked with GET /auth/verify before
success is reported; if that fails the secret is still printed, so it is never
lost, and the command exits non-zero. A key whose IP allow-list does not
include this machine cannot be checked from here: that is reported as a
warning, not a failure.

--save stores the new secret in the profile's credential store and removes the
old key's saved secret; if the old key was the default key, the new one
becomes the default.

--self rotates a key using that key itself, with no login: it must hold the
keys:rotate scope. The key is chosen as for ping: --key-id (a saved key), else
ZUPY_API_KEY, else the profile's default key. This is the path for CI, which
then stores the new secret back into its own secret store (see docs/ci.md).
When the key came from the profile's store, the new key replaces it there (and
becomes the default key if the old one was) once GET /auth/verify has accepted
it; with --save, a key from ZUPY_API_KEY is saved the same way. A key rotating
itself renews its secret, never its lifetime: the successor keeps the old
key's expiry, so only a person (rotating by id, or "keys update --expires-in")
extends a lineage. A warning says when the new key expires within 30 days;
"keys show" says who performed each key's last rotation.

The whole rotation in one command (docs/rotation.md): each --deploy CMD runs
with sh -c, the new secret on its standard input (never an argument), without
ZUPY_SESSION_TOKEN and ZUPY_API_KEY in its environment, with ZUPY_NEW_KEY_ID,
ZUPY_OLD_KEY_ID and ZUPY_KEY_ENVIRONMENT set, its output shown with the
secrets masked; --deploy-file PATH[:VAR] rewrites VAR= (default ZUPY_API_KEY)
in a dotenv file atomically. If the first target fails the rotation is undone
(the old key untouched); if a later one fails nothing is revoked and the
targets are named. --watch then reads the usage routes until the new key has
made --min-requests requests and the old key has been idle for --idle, by the
server's clock; --revoke-old revokes the old key then. If --watch-timeout
passes first the old key is left alone and zupy exits 8. --resume finishes a
rotation in flight, found on the server; --undo SUCCESSOR_ID takes one back
while the old key is in its grace; --dry-run prints the plan.`,
		Example: `  zupy keys rotate key_0123456789ab
  zupy keys rotate key_0123456789ab --grace 2h --save
  zupy keys rotate key_0123456789ab --grace 0
  NEW=$(ZUPY_API_KEY=$OLD zupy keys rotate --self --grace 1h)
  zupy keys rotate --self --key-id key_0123456789ab
  zupy keys rotate key_0123456789ab --deploy 'vault kv put secret/pos api_key=-' --watch --revoke-old --dry-run
  zupy keys rotate key_0123456789ab --deploy-file .env --watch --idle 10m --revoke-old # norun
  zupy keys rotate --resume --deploy-file .env --watch --revoke-old # norun
  zupy keys rotate --undo key_0123456789ab # norun`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeKeyIDs(f, "", notRotated),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, args); err != nil {
				return err
			}
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return rotateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Self, "self", false, "Rotate a key with itself (needs keys:rotate; no login): --key-id, ZUPY_API_KEY or the default key")
	fl.StringVar(&opts.SelfKeyID, "key-id", "", "With --self: the saved key to rotate, its `KEY_ID`")
	_ = cmd.RegisterFlagCompletionFunc("key-id", f.Resolve.CompleteSavedKeyIDs)
	fl.StringVar(&opts.GraceRaw, "grace", "24h", "How long the old key keeps working, a `DURATION` from 0 to 168h (also 2d)")
	fl.BoolVar(&opts.Save, "save", false, "Save the new secret, replacing the old key's saved secret")
	fl.BoolVar(&opts.NoVerify, "no-verify", false, "Do not check the new key with GET /auth/verify")
	cmdutil.AddInsecureStorageFlag(fl, &opts.InsecureStorage, "the saved secret")
	fl.Var(targetsFlag{list: &opts.Targets}, "deploy", "Run `CMD` with sh -c, the new secret on its stdin (repeatable, in order)")
	fl.Var(targetsFlag{list: &opts.Targets, file: true}, "deploy-file", "Rewrite ZUPY_API_KEY= in the dotenv file `PATH` (PATH:VAR: the line VAR=) atomically (repeatable)")
	fl.StringVar(&opts.DeployEnv, "deploy-env", "", "Also give --deploy commands the new secret in the environment variable `NAME`")
	fl.DurationVar(&opts.DeployTimeout, "deploy-timeout", 5*time.Minute, "Kill a --deploy command still running after this `DURATION`")
	fl.BoolVar(&opts.FollowSymlinks, "follow-symlinks", false, "Let --deploy-file write through a symbolic link")
	fl.BoolVar(&opts.Watch, "watch", false, "After the deploy, watch the usage until the new key is used and the old key idle")
	fl.IntVar(&opts.MinRequests, "min-requests", 1, "With --watch, the requests `N` the new key must have made")
	fl.DurationVar(&opts.Idle, "idle", 10*time.Minute, "With --watch, how long the old key must have been idle, a `DURATION`")
	fl.DurationVar(&opts.WatchTimeout, "watch-timeout", 0, "With --watch, give up after this `DURATION` (default: the grace minus 15m), exit 8")
	fl.BoolVar(&opts.RevokeOld, "revoke-old", false, "Revoke the old key once --watch is done")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "Print the plan and send nothing")
	fl.BoolVar(&opts.Resume, "resume", false, "Finish the rotation in flight (of KEY_ID, the successor): deploy what is left, watch, revoke")
	fl.BoolVar(&opts.Undo, "undo", false, "Undo the rotation that created KEY_ID (or, with --self, the key in use): revoke it, restore the old key")
	return cmd
}

func (o *RotateOptions) parse(cmd *cobra.Command, args []string) error {
	usage := "Usage: " + cmd.UseLine()
	o.graceSet = cmd.Flags().Changed("grace")
	o.watchTimeoutSet = cmd.Flags().Changed("watch-timeout")
	if err := o.parseRunbook(cmd, args); err != nil {
		return err
	}
	if o.Resume || o.Undo {
		return nil
	}
	switch {
	case o.Self && len(args) > 0:
		return usageHint("--self rotates the key in ZUPY_API_KEY; rotate another key by id without --self", "--self takes no KEY_ID (got %q)", args[0])
	case !o.Self && len(args) == 0 && !o.IO.CanPrompt():
		return usageHint(usage, "missing KEY_ID (or --self to rotate the key in ZUPY_API_KEY)")
	case len(args) > 1:
		return usageHint(usage, "unexpected argument %q", args[1])
	}
	if o.InsecureStorage && !o.Save {
		return usageHint("Add --save to keep the new secret (in the credentials file, with --insecure-storage)", "--insecure-storage needs --save: without it nothing is stored")
	}
	grace, err := parseGrace(o.GraceRaw)
	if err != nil {
		return err
	}
	o.Grace = grace
	if !o.Self {
		if o.SelfKeyID != "" {
			return usageHint("Rotate a key by id as KEY_ID, or a saved key with itself with --self --key-id", "--key-id needs --self")
		}
		var err error
		o.KeyID, err = keyIDFrom(args) // "" is picked on the terminal
		return err
	}
	if o.SelfKeyID != "" {
		return checkKeyID(o.SelfKeyID)
	}
	return nil
}

func rotateRun(ctx context.Context, opts *RotateOptions) error {
	switch {
	case opts.DryRun:
		// The plan checks what can be checked locally (the dotenv files,
		// the state folder), so a dry run finds what the run would refuse.
		if _, err := preflight(opts); err != nil {
			return err
		}
		return printPlan(opts)
	case opts.Undo:
		return undoRun(ctx, opts)
	case opts.Resume:
		return resumeRun(ctx, opts)
	}
	if opts.Self {
		return rotateSelf(ctx, opts)
	}
	return rotateByID(ctx, opts)
}

// rotateByID rotates the key opts.KeyID (picked on a terminal when not
// given) with the session; --save replaces its saved secret, the default
// key moving with it.
func rotateByID(ctx context.Context, opts *RotateOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	if opts.KeyID == "" {
		if opts.KeyID, err = pickKey(ctx, opts.IO, s, "rotate", ""); err != nil {
			return err
		}
	}
	var store *keystore.Store
	var oldWasSaved, oldWasDefault bool
	if opts.Save {
		if store, err = openSecretStore(opts.Resolve, keystore.Profile{Load: opts.Config, Name: opts.Profile}, opts.InsecureStorage); err != nil {
			return err
		}
		if oldWasSaved, err = store.Saved(ctx, opts.KeyID); err != nil {
			return err
		}
		oldWasDefault = store.StoredDefault() == opts.KeyID
	}
	pre, err := preflight(opts)
	if err != nil {
		return err
	}
	key, resp, err := s.client.RotateKey(ctx, s.token(), opts.KeyID, rotateRequest(opts))
	if err != nil {
		return s.wrap(err)
	}
	r := newRotation(opts, s.client, key, resp)
	if !opts.Save && key.PreviousKey != nil && (keystore.Profile{Load: opts.Config, Name: opts.Profile}).StoredDefault() == opts.KeyID {
		// The saved default key is the old one: commands that use it
		// (ping, api) fail once the grace ends, unless the new one is saved.
		r.note(fmt.Sprintf("Warning: %s is the profile's saved default key; it stops working %s, when the grace period ends. Save the new key with `%s` (the secret on standard input), or rotate with --save next time",
			opts.KeyID, key.PreviousKey.ExpiresAt.UTC().Format(time.RFC3339), cmdutil.ZupyCommand(opts.Profile, "keys import --default")))
	}
	if opts.Save {
		if r.saveErr = store.Save(ctx, key.KeyID, key.APIKey, oldWasDefault); r.saveErr == nil {
			r.out.Default = oldWasDefault
			r.note(savedNote(key.KeyID, store.Where(), oldWasDefault))
			opts.Resolve.LearnExpiry(key.APIKey, key.KeyID, key.ExpiresAt, resp.ServerNow(opts.Now()))
			if oldWasSaved {
				if err := store.Remove(ctx, opts.KeyID); err != nil {
					r.note(fmt.Sprintf("Could not remove the saved secret of %s: %v", opts.KeyID, err))
				} else {
					r.note(fmt.Sprintf("Removed the saved secret of %s", opts.KeyID))
				}
			}
		}
	}
	r.verify(ctx, opts)
	if opts.runbook() {
		return runRunbook(ctx, opts, pre, r, s.token(), "")
	}
	return r.finish(opts)
}

// rotateSelf rotates the key chosen as for ping with itself; a saved key
// (or, with --save, any) is replaced in the store once the server has
// accepted its successor.
func rotateSelf(ctx context.Context, opts *RotateOptions) error {
	self, err := opts.ChooseKey(ctx, opts.SelfKeyID)
	if err != nil {
		return err
	}
	client, err := opts.ClientFor(self.BaseURL)
	if err != nil {
		return err
	}
	pre, err := preflight(opts)
	if err != nil {
		return err
	}
	if opts.RevokeOld {
		// Revoking is a session's: find it before anything is sent.
		if opts.session, err = sessionFor(ctx, opts, client); err != nil {
			return cmdutil.WithHint(err, "--revoke-old with --self needs a login: a key cannot revoke its predecessor; without --revoke-old the old key ends with its grace")
		}
	}
	key, resp, err := client.RotateSelf(ctx, self.Key.Secret, rotateRequest(opts))
	if err != nil {
		return cmdutil.WithHint(err, selfHint(err, self.Describe()))
	}
	r := newRotation(opts, client, key, resp)
	// The successor keeps the key's expiry (newRotation warns within 30
	// days); the key in use from now on is the successor.
	opts.Resolve.LearnExpiry(key.APIKey, key.KeyID, key.ExpiresAt, resp.ServerNow(opts.Now()))
	r.verify(ctx, opts)
	if self.FromStore() || opts.Save {
		// Only a key the server has accepted replaces a saved one.
		if opts.NoVerify || r.verifyErr != nil {
			r.note("The saved keys are unchanged: the new key was not verified; save it with `zupy keys import`")
		} else {
			notes, err := replaceSaved(ctx, opts, self, key)
			r.out.Notes = append(r.out.Notes, notes...)
			r.saveErr = err
		}
	}
	if opts.runbook() {
		return runRunbook(ctx, opts, pre, r, opts.session, self.Key.Secret)
	}
	return r.finish(opts)
}

func rotateRequest(opts *RotateOptions) api.RotateRequest {
	return api.RotateRequest{GracePeriodSeconds: int64(opts.Grace / time.Second)}
}

// rotation is a successor the server created and what is left to report
// of it: the finish both kinds of rotation share.
type rotation struct {
	client *api.Client
	key    *api.Key
	resp   *api.Response
	out    newKeyOutput
	// verifyErr is GET /auth/verify's refusal of the successor; saveErr a
	// failure to save it.
	verifyErr, saveErr error
}

func newRotation(opts *RotateOptions, client *api.Client, key *api.Key, resp *api.Response) *rotation {
	r := &rotation{client: client, key: key, resp: resp, out: newKeyOutput{Title: "Rotated API key", Verb: "Rotated", Key: key}}
	if p := key.PreviousKey; p != nil {
		r.out.Title = fmt.Sprintf("Rotated %s → %s", p.KeyID, key.KeyID)
	}
	if w := expiryWarning(key, opts.Self, resp.ServerNow(opts.Now())); w != "" {
		r.note(w)
	}
	return r
}

func (r *rotation) note(n string) { r.out.Notes = append(r.out.Notes, n) }

// verify checks the successor with GET /auth/verify unless --no-verify; a
// refusal for this machine's IP is a note, not a failure.
func (r *rotation) verify(ctx context.Context, opts *RotateOptions) {
	if opts.NoVerify {
		return
	}
	r.verifyErr = verifyNew(ctx, r.client, r.key)
	var ipErr *ipNotAllowed
	if errors.As(r.verifyErr, &ipErr) {
		r.note("Not verified: this machine's IP address is outside the key's allow-list")
		r.verifyErr = nil
	} else if r.verifyErr == nil {
		r.note("Verified the new key with GET /auth/verify")
	}
}

// finish prints the successor, whatever happened to it after the server
// created it (its secret is never lost), then reports a failed
// verification or save.
func (r *rotation) finish(opts *RotateOptions) error {
	if err := r.out.print(opts.IO, opts.JSON, r.resp.ServerNow(opts.Now())); err != nil {
		return err
	}
	if r.verifyErr != nil {
		return cmdutil.WithHint(r.verifyErr, fmt.Sprintf("The new key %s was created and its secret printed above, but GET /auth/verify refused it", r.key.KeyID))
	}
	if r.saveErr != nil {
		return saveFailed(r.key.KeyID, r.saveErr)
	}
	return nil
}

// expiryWarnWithin is how close an expiry makes rotate warn (docs/cli/zupy_keys_rotate.md).
const expiryWarnWithin = 30 * 24 * time.Hour

// expiryWarning is the note of a successor that expires within 30 days, or
// "". A self-rotated successor keeps its lineage's expiry, so only a person
// can move it: CI that rotates monthly needs someone to extend it yearly.
func expiryWarning(key *api.Key, self bool, now time.Time) string {
	left := key.ExpiresAt.Sub(now)
	if left >= expiryWarnWithin {
		return ""
	}
	w := fmt.Sprintf("Warning: the new key %s expires %s (%s)", key.KeyID, key.ExpiresAt.UTC().Format(time.RFC3339), ui.RelativeTime(key.ExpiresAt, now))
	if self {
		w += "; a key rotating itself keeps its expiry, so a person must extend it"
	}
	return w + fmt.Sprintf(": `zupy keys update %s --expires-in 1y` (needs a login)", key.KeyID)
}

// ipNotAllowed marks a verification refused only because this machine is
// outside the key's IP allow-list: the key itself is fine.
type ipNotAllowed struct{ err error }

func (e *ipNotAllowed) Error() string { return e.err.Error() }
func (e *ipNotAllowed) Unwrap() error { return e.err }

// verifyNew checks the new key with GET /auth/verify.
func verifyNew(ctx context.Context, client *api.Client, key *api.Key) error {
	v, _, err := client.Verify(ctx, key.APIKey, nil, false)
	if err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) && apiErr.Kind() == api.KindPermission && apiErr.ServerCode() == wire.ErrIPNotAllowed {
			return &ipNotAllowed{err}
		}
		return err
	}
	if !v.Authenticated || v.KeyID != key.KeyID {
		return &cmdutil.CodedError{Kind: api.KindAuth, Code: api.CodeAuthentication,
			Msg: fmt.Sprintf("GET /auth/verify answered for %q, not the new key %s", v.KeyID, key.KeyID)}
	}
	return nil
}

// replaceSaved saves the successor of a self-rotated key in the profile's
// store: in place of the old key when that came from the store (the default
// key moving with it), else (--save) as a new saved key.
func replaceSaved(ctx context.Context, opts *RotateOptions, self *resolve.Choice, key *api.Key) ([]string, error) {
	p := keystore.Profile{Load: opts.Config, Name: opts.Profile}
	var ks *keystore.Store
	if self.FromStore() {
		ks = &keystore.Store{Profile: p, Secrets: self.Store}
	} else {
		var err error
		if ks, err = keystore.Open(opts.Resolve.Store, p); err != nil {
			return nil, err
		}
	}
	oldID := self.KeyID
	if oldID == "" && key.PreviousKey != nil {
		oldID = key.PreviousKey.KeyID
	}
	makeDefault := oldID != "" && ks.StoredDefault() == oldID
	if err := ks.Save(ctx, key.KeyID, key.APIKey, makeDefault); err != nil {
		return nil, err
	}
	notes := []string{savedNote(key.KeyID, ks.Where(), makeDefault)}
	if self.FromStore() {
		if err := ks.Remove(ctx, oldID); err != nil {
			notes = append(notes, fmt.Sprintf("Could not remove the saved secret of %s: %v", oldID, err))
		} else {
			notes = append(notes, fmt.Sprintf("Removed the saved secret of %s", oldID))
		}
	}
	return notes, nil
}

// selfHint explains the usual failures of rotate --self with the key from
// source.
func selfHint(err error, source string) string {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch {
	case apiErr.Kind() == api.KindPermission && apiErr.ServerCode() != wire.ErrIPNotAllowed:
		return "The key from " + source + " needs the keys:rotate scope: `zupy keys update KEY --add-scope keys:rotate`"
	case apiErr.Kind() == api.KindAuth:
		return "The key from " + source + " was refused: it may have expired, been revoked, or been rotated with no grace left"
	case apiErr.Kind() == api.KindConflict:
		return "This key was rotated already: use its successor"
	}
	return ""
}
