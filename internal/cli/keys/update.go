package keys

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// UpdateOptions is what `keys update` uses.
type UpdateOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Now      func() time.Time
	Settings func() (*config.Resolver, error)
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)
	// Prompter confirms a lifetime under an hour.
	Prompter func() *ui.Prompter
	// KeyExpiry records a new expiry of a key zupy warned about
	// (resolve.KeyExpiryChanged), so that the warning stops.
	KeyExpiry func(hint, keyID string, expiresAt, now time.Time)

	KeyID        string
	Name         string
	NameSet      bool
	Description  string
	DescSet      bool
	Scopes       []string
	AddScopes    []string
	RemoveScopes []string
	RateLimit    int
	RateLimitSet bool
	AllowIPs     []string
	ClearIPs     bool
	Expires      string
	ExpiresIn    string

	// Request is the validated body; --add-scope and --remove-scope go as
	// add_permissions and remove_permissions, which the server applies to
	// the key's current list in one transaction (no lost concurrent edit).
	Request api.UpdateKeyRequest
	// Add and Remove are the validated --add-scope and --remove-scope lists.
	Add, Remove []string
}

// NewCmdUpdate returns `keys update`; runF replaces the run in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: f.IOStreams, Now: f.Now, Settings: f.Settings, Client: f.Client, Resolver: f.Resolve.Credentials, Prompter: f.Prompter,
		KeyExpiry: f.Resolve.KeyExpiryChanged}
	cmd := &cobra.Command{
		Use:   "update KEY_ID [flags]",
		Short: "Change an API key's name, scopes, rate limit, IP allow-list or expiry",
		Long: `Change the settings of an API key; only the flags given change. The secret
and the environment stay the same.

--scopes replaces the scope list; --add-scope and --remove-scope change it on
the server, in one step, so concurrent changes of one key never lose a scope
(removing its last scope is refused). --allow-ip
replaces the IP allow-list and --clear-ips empties it (any address may use the
key). A rotated key's expiry cannot be moved later. On a terminal, without KEY_ID, a list of
the keys is offered to pick from.`,
		Example: `  zupy keys update key_0123456789ab --name "PDV loja 2"
  zupy keys update key_0123456789ab --add-scope customer:write --remove-scope coupons:redeem
  zupy keys update key_0123456789ab --allow-ip 203.0.113.0/24,198.51.100.7 --rate-limit 300
  zupy keys update key_0123456789ab --clear-ips --expires 2027-12-31`,
		Args:              keyIDArg(f.IOStreams),
		ValidArgsFunction: completeKeyIDs(f, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			opts.NameSet, opts.DescSet, opts.RateLimitSet = fl.Changed("name"), fl.Changed("description"), fl.Changed("rate-limit")
			var err error
			if opts.KeyID, err = keyIDFrom(args); err != nil {
				return err
			}
			if err := opts.validate(f.Now()); err != nil {
				return err
			}
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "New `NAME` (1-100 characters)")
	fl.StringVar(&opts.Description, "description", "", "New description `TEXT` (at most 500 characters; \"\" clears it)")
	fl.StringArrayVar(&opts.Scopes, "scopes", nil, "Replace the scopes with `SCOPES`, comma-separated")
	fl.StringArrayVar(&opts.AddScopes, "add-scope", nil, "Add a `SCOPE`; repeatable or comma-separated")
	fl.StringArrayVar(&opts.RemoveScopes, "remove-scope", nil, "Remove a `SCOPE`; repeatable or comma-separated")
	fl.IntVar(&opts.RateLimit, "rate-limit", 0, "Requests per minute, `N` from 1 to 2000")
	fl.StringArrayVar(&opts.AllowIPs, "allow-ip", nil, "Replace the allow-list with this `IP` address or CIDR block; repeatable or comma-separated")
	fl.BoolVar(&opts.ClearIPs, "clear-ips", false, "Empty the IP allow-list")
	fl.StringVar(&opts.Expires, "expires", "", "New expiry `DATE`: a date (2027-06-30) or an RFC 3339 time")
	fl.StringVar(&opts.ExpiresIn, "expires-in", "", "New lifetime from now on the server's clock, a `DURATION`: 90d, 12h, 1y")
	cmdutil.RegisterScopeCompletion(cmd, "scopes", "add-scope", "remove-scope")
	return cmd
}

// validate checks the flags and builds Request, Add and Remove.
func (o *UpdateOptions) validate(now time.Time) error {
	var req api.UpdateKeyRequest
	changes := 0
	if o.NameSet {
		if err := validateName(o.Name); err != nil {
			return err
		}
		name := o.Name
		req.Name, changes = &name, changes+1
	}
	if o.DescSet {
		if err := validateDescription(o.Description); err != nil {
			return err
		}
		d := o.Description
		req.Description, changes = &d, changes+1
	}
	if o.Scopes != nil && (o.AddScopes != nil || o.RemoveScopes != nil) {
		return cmdutil.Usagef("--scopes cannot be used with --add-scope or --remove-scope")
	}
	if o.Scopes != nil {
		perms, err := parseScopes("scopes", o.Scopes)
		if err != nil {
			return err
		}
		req.Permissions, changes = perms, changes+1
	}
	o.Add, o.Remove = nil, nil
	if o.AddScopes != nil {
		add, err := parseScopes("add-scope", o.AddScopes)
		if err != nil {
			return err
		}
		o.Add, changes = add, changes+1
	}
	if o.RemoveScopes != nil {
		remove, err := parseScopes("remove-scope", o.RemoveScopes)
		if err != nil {
			return err
		}
		o.Remove, changes = remove, changes+1
	}
	for _, s := range o.Add {
		if slices.Contains(o.Remove, s) {
			return cmdutil.Usagef("%s is given to both --add-scope and --remove-scope", s)
		}
	}
	if o.RateLimitSet {
		if err := parseRateLimit(o.RateLimit); err != nil {
			return err
		}
		n := o.RateLimit
		req.RateLimit, changes = &n, changes+1
	}
	if o.ClearIPs && o.AllowIPs != nil {
		return cmdutil.Usagef("--allow-ip and --clear-ips cannot be used together")
	}
	if o.AllowIPs != nil {
		ips, err := parseIPs(o.AllowIPs, "Use --clear-ips to allow any address")
		if err != nil {
			return err
		}
		req.IPRestrictions, changes = &ips, changes+1
	}
	if o.ClearIPs {
		empty := []string{}
		req.IPRestrictions, changes = &empty, changes+1
	}
	exp, err := parseExpiry(o.Expires, o.ExpiresIn, now)
	if err != nil {
		return err
	}
	if exp != nil {
		req.ExpiresAt, changes = exp, changes+1
	}
	if changes == 0 {
		return usageHint("Give at least one of --name, --description, --scopes, --add-scope, --remove-scope, --rate-limit, --allow-ip, --clear-ips, --expires, --expires-in",
			"nothing to update")
	}
	req.AddPermissions, req.RemovePermissions = o.Add, o.Remove
	o.Request = req
	return nil
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	if opts.KeyID == "" {
		if opts.KeyID, err = pickKey(ctx, opts.IO, s, "update", ""); err != nil {
			return err
		}
	}
	if opts.ExpiresIn != "" {
		if opts.Request.ExpiresAt, err = lifetimeExpiry(ctx, s, opts.IO, opts.Prompter, opts.ExpiresIn, opts.Now()); err != nil {
			return err
		}
	}
	key, resp, err := s.client.UpdateKey(ctx, s.token(), opts.KeyID, opts.Request)
	var apiErr *api.Error
	if errors.As(err, &apiErr) && apiErr.Details[wire.DetailField] == "remove_permissions" {
		return cmdutil.WithHint(err, fmt.Sprintf("A key needs at least one scope: add another in the same command (--add-scope), or revoke the key with `zupy keys revoke %s`", opts.KeyID))
	}
	if err != nil {
		return s.wrap(err)
	}
	if opts.KeyExpiry != nil {
		opts.KeyExpiry(key.KeyHint, key.KeyID, key.ExpiresAt, resp.ServerNow(opts.Now()))
	}
	if !opts.JSON && opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "%s Updated %s\n", opts.IO.ErrColorScheme().SuccessIcon(), ui.SingleLine(key.KeyID))
	}
	return printKey(opts.IO, opts.JSON, key, func() bool { return key.KeyID == defaultKeyID(opts.Settings) }, resp.ServerNow(opts.Now()))
}
