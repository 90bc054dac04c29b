package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
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
	ClientFor func(baseURL string) *api.Client
	Resolver  func() (credentials.Resolver, error)
	Store     func() (credentials.Store, error)

	KeyID    string
	Self     bool
	GraceRaw string
	Grace    time.Duration
	Save     bool
	NoVerify bool

	// Secret is the key in ZUPY_API_KEY, for --self.
	Secret string
}

// NewCmdRotate returns `keys rotate`; runF replaces the run in tests.
func NewCmdRotate(f *cmdutil.Factory, runF func(*RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IOStreams, Now: f.Now, Config: f.Config, Settings: f.Settings, Client: f.Client,
		ClientFor: f.ClientFor, Resolver: f.Resolver, Store: f.Store}
	cmd := &cobra.Command{
		Use:   "rotate {KEY_ID | --self}",
		Short: "Replace an API key with a new secret, keeping the old one for a grace period",
		Long: `Create the successor of an API key, with the same name, scopes, rate limit,
environment, IP allow-list, description and lifetime, and print its secret once
(as "keys create" does). The old key then expires at the earlier of its own
expiry and now + --grace (default 24h; 0 revokes it at once; at most 168h), so
deployments can switch over without downtime. A key can be rotated once.

Unless --no-verify, the new key is checked with GET /auth/verify before
success is reported; if that fails the secret is still printed, so it is never
lost, and the command exits non-zero. A key whose IP allow-list does not
include this machine cannot be checked from here: that is reported as a
warning, not a failure.

--save stores the new secret in the profile's credential store and removes the
old key's saved secret; if the old key was the default key, the new one
becomes the default.

--self rotates the key in ZUPY_API_KEY using that key itself, with no login: it
must hold the keys:rotate scope. This is the path for CI, which then stores
the new secret back into its own secret store (see docs/ci.md). A key rotating
itself renews its secret, never its lifetime: the successor keeps the old
key's expiry, so only a person (rotating by id, or "keys update --expires-in")
extends a lineage. A warning says when the new key expires within 30 days;
"keys show" says who performed each key's last rotation.`,
		Example: `  zupy keys rotate key_0123456789ab
  zupy keys rotate key_0123456789ab --grace 2h --save
  zupy keys rotate key_0123456789ab --grace 0
  ZUPY_API_KEY=$OLD zupy keys rotate --self --grace 1h | gh secret set ZUPY_API_KEY`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeKeyIDs(f, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, args, f.Getenv); err != nil {
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
	fl.BoolVar(&opts.Self, "self", false, "Rotate the key in ZUPY_API_KEY with itself (needs keys:rotate; no login)")
	fl.StringVar(&opts.GraceRaw, "grace", "24h", "How long the old key keeps working: 0 to 168h (also 2d)")
	fl.BoolVar(&opts.Save, "save", false, "Save the new secret, replacing the old key's saved secret")
	fl.BoolVar(&opts.NoVerify, "no-verify", false, "Do not check the new key with GET /auth/verify")
	return cmd
}

func (o *RotateOptions) parse(cmd *cobra.Command, args []string, getenv func(string) string) error {
	usage := "Usage: " + cmd.UseLine()
	switch {
	case o.Self && len(args) > 0:
		return usageHint("--self rotates the key in ZUPY_API_KEY; rotate another key by id without --self", "--self takes no KEY_ID (got %q)", args[0])
	case !o.Self && len(args) == 0:
		return usageHint(usage, "missing KEY_ID (or --self to rotate the key in ZUPY_API_KEY)")
	case len(args) > 1:
		return usageHint(usage, "unexpected argument %q", args[1])
	}
	grace, err := parseGrace(o.GraceRaw)
	if err != nil {
		return err
	}
	o.Grace = grace
	if !o.Self {
		o.KeyID = args[0]
		return checkKeyID(o.KeyID)
	}
	if o.Save {
		return usageHint("Pipe the new secret into your secret store instead (see docs/ci.md)", "--save cannot be used with --self")
	}
	secret := strings.TrimSpace(getenv(credentials.EnvAPIKey))
	if secret == "" {
		return usageHint("Set ZUPY_API_KEY to the key to rotate; it must hold the keys:rotate scope", "--self needs the key to rotate in %s", credentials.EnvAPIKey)
	}
	if _, err := parseSecret(secret, credentials.EnvAPIKey); err != nil {
		return err
	}
	o.Secret = secret
	return nil
}

func rotateRun(ctx context.Context, opts *RotateOptions) error {
	req := api.RotateRequest{GracePeriodSeconds: int64(opts.Grace / time.Second)}
	var (
		client                     *api.Client
		key                        *api.Key
		store                      *keyStore
		oldWasSaved, oldWasDefault bool
	)
	if opts.Self {
		parsed, _ := parseSecret(opts.Secret, credentials.EnvAPIKey)
		var err error
		if client, err = clientForKey(opts.Settings, opts.ClientFor, parsed); err != nil {
			return err
		}
		if key, err = client.RotateSelf(ctx, opts.Secret, req); err != nil {
			return cmdutil.WithHint(err, selfHint(err))
		}
	} else {
		s, err := openSession(ctx, opts.Client, opts.Resolver)
		if err != nil {
			return err
		}
		client = s.client
		if opts.Save {
			if store, err = openKeyStore(opts.Store, profileConfig{opts.Config, opts.Profile}); err != nil {
				return err
			}
			if oldWasSaved, err = store.saved(ctx, opts.KeyID); err != nil {
				return err
			}
			oldWasDefault = store.storedDefault() == opts.KeyID
		}
		if key, err = client.RotateKey(ctx, s.token(), opts.KeyID, req); err != nil {
			return s.wrap(err)
		}
	}

	out := newKeyOutput{Title: "Rotated API key", Verb: "Rotated", Key: key}
	if p := key.PreviousKey; p != nil {
		out.Title = fmt.Sprintf("Rotated %s → %s", p.KeyID, key.KeyID)
	}
	if w := expiryWarning(key, opts.Self, opts.Now()); w != "" {
		out.Notes = append(out.Notes, w)
	}
	var saveErr error
	if opts.Save {
		makeDefault := oldWasDefault
		if saveErr = store.save(ctx, key.KeyID, key.APIKey, makeDefault); saveErr == nil {
			out.Default = makeDefault
			out.Notes = append(out.Notes, savedNote(key.KeyID, store.where(), makeDefault))
			if oldWasSaved {
				if err := store.remove(ctx, opts.KeyID); err != nil {
					out.Notes = append(out.Notes, fmt.Sprintf("Could not remove the saved secret of %s: %v", opts.KeyID, err))
				} else {
					out.Notes = append(out.Notes, fmt.Sprintf("Removed the saved secret of %s", opts.KeyID))
				}
			}
		}
	}

	var verifyErr error
	if !opts.NoVerify {
		verifyErr = verifyNew(ctx, client, key)
		var ipErr *ipNotAllowed
		if errors.As(verifyErr, &ipErr) {
			out.Notes = append(out.Notes, "Not verified: this machine's IP address is outside the key's allow-list")
			verifyErr = nil
		} else if verifyErr == nil {
			out.Notes = append(out.Notes, "Verified the new key with GET /auth/verify")
		}
	}

	// The secret is printed whatever happened next: it is never lost.
	if err := out.print(opts.IO, opts.JSON, opts.Now()); err != nil {
		return err
	}
	if verifyErr != nil {
		return cmdutil.WithHint(verifyErr, fmt.Sprintf("The new key %s was created and its secret printed above, but GET /auth/verify refused it", key.KeyID))
	}
	if saveErr != nil {
		return saveFailed(key.KeyID, saveErr)
	}
	return nil
}

// expiryWarnWithin is how close an expiry makes rotate warn (SPEC §4).
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

// selfHint explains the usual failures of rotate --self.
func selfHint(err error) string {
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch {
	case apiErr.Kind() == api.KindPermission && apiErr.ServerCode() != wire.ErrIPNotAllowed:
		return "The key in ZUPY_API_KEY needs the keys:rotate scope: `zupy keys update KEY --add-scope keys:rotate`"
	case apiErr.Kind() == api.KindAuth:
		return "The key in ZUPY_API_KEY was refused: it may have expired, been revoked, or been rotated with no grace left"
	case apiErr.Kind() == api.KindConflict:
		return "This key was rotated already: use its successor"
	}
	return ""
}
