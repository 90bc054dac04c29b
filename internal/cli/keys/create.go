package keys

import (
	"context"
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
)

// CreateOptions is what `keys create` uses.
type CreateOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Now      func() time.Time
	Profile  string
	Config   func() (*config.File, error)
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)
	// Resolve chooses the store --save writes to.
	Resolve *resolve.Resolver
	// Prompter confirms a lifetime under an hour.
	Prompter func() *ui.Prompter

	InsecureStorage bool
	Name            string
	Description     string
	Scopes          []string
	RateLimit       int
	RateLimitSet    bool
	Environment     string
	AllowIPs        []string
	Expires         string
	ExpiresIn       string
	Save            bool
	Default         bool

	// Prompt asks on the terminal for the name and scopes that are missing,
	// and AskAll for everything, when no flag was given at all.
	Prompt, AskAll bool

	// Request is the validated body, built from the flags by NewCmdCreate
	// (or by the run, from the answers, with Prompt).
	Request api.CreateKeyRequest
}

// NewCmdCreate returns `keys create`; runF replaces the run in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Now: f.Now, Config: f.Config, Client: f.Client, Resolver: f.Resolve.Credentials, Resolve: f.Resolve,
		Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "create --name NAME --scopes S1,S2",
		Short: "Create an API key and print its secret once",
		Long: `Create an API key with permission scopes, a rate limit, an environment, an
optional IP allow-list and an expiry. Every flag is checked locally before
anything is sent.

The secret is printed once. On a terminal it is shown in a card with every
field; with text output to a pipe or file only the secret goes to stdout (and a
one-line summary to stderr), so $(zupy keys create …) captures it; -o json
prints the whole key object including api_key.

--save keeps the secret in the profile's credential store (the OS keyring, or
the credentials file when credential_store is "file") under its key id;
--default also makes it the profile's default key (and implies --save).
Where no keyring is available, --insecure-storage keeps it in a 0600 file
in the config directory instead (and makes that the profile's store).

On a terminal, without --name or --scopes, zupy asks for them (and, with no
flag at all, for the environment, rate limit, expiry and IP allow-list too),
then shows the equivalent command line. Without a terminal nothing is asked.

--expires takes a date (2027-06-30, meaning 23:59:59Z that day) or an RFC 3339
time; --expires-in a lifetime such as 90d, 12h or 1y, counted from the
server's clock (the emulator's may have been moved). Under an hour (30m is 30
minutes, not months) it asks first on a terminal, and warns otherwise.
Without either the key lives 365 days.`,
		Example: `  zupy keys create                          # on a terminal: asks for every field
  zupy keys create --name "PDV loja 1" --scopes loyalty:read,coupons:validate
  zupy keys create --name Checkout --scopes loyalty:read,loyalty:write --rate-limit 500 \
      --allow-ip 203.0.113.10 --allow-ip 198.51.100.0/24 --expires-in 90d --save --default
  export ZUPY_API_KEY=$(zupy keys create --name CI --scopes loyalty:read,keys:rotate --environment staging)`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RateLimitSet = cmd.Flags().Changed("rate-limit")
			// On a terminal what is missing is asked for (in the run);
			// without one a missing flag is a usage error, as ever.
			opts.Prompt = (opts.Name == "" || opts.Scopes == nil) && f.IOStreams.CanPrompt()
			opts.AskAll = opts.Prompt && cmd.Flags().NFlag() == 0
			if !opts.Prompt {
				req, err := opts.request(f.Now())
				if err != nil {
					return err
				}
				opts.Request = req
			}
			if opts.Default {
				opts.Save = true
			}
			if opts.InsecureStorage && !opts.Save {
				return usageHint("Add --save to keep the secret (in the credentials file, with --insecure-storage)", "--insecure-storage needs --save or --default: without them nothing is stored")
			}
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return createRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "`NAME` of the key (1-100 characters)")
	fl.StringVar(&opts.Description, "description", "", "Description `TEXT` (at most 500 characters)")
	fl.StringArrayVar(&opts.Scopes, "scopes", nil, "Permission `SCOPES`, comma-separated (zupy scopes lists them)")
	fl.IntVar(&opts.RateLimit, "rate-limit", 100, "Requests per minute, `N` from 1 to 2000")
	fl.StringVar(&opts.Environment, "environment", "production", "`ENV`: production or staging (live and test are accepted too)")
	fl.StringArrayVar(&opts.AllowIPs, "allow-ip", nil, "Allow only this `IP` address or CIDR block; repeatable or comma-separated")
	fl.StringVar(&opts.Expires, "expires", "", "Expiry `DATE`: a date (2027-06-30) or an RFC 3339 time")
	fl.StringVar(&opts.ExpiresIn, "expires-in", "", "Lifetime from now on the server's clock, a `DURATION`: 90d, 12h, 1y")
	fl.BoolVar(&opts.Save, "save", false, "Save the secret in the profile's credential store")
	fl.BoolVar(&opts.Default, "default", false, "Make it the profile's default key (implies --save)")
	cmdutil.AddInsecureStorageFlag(fl, &opts.InsecureStorage, "the saved secret")
	cmdutil.RegisterScopeCompletion(cmd, "scopes")
	registerEnvironmentCompletion(cmd)
	return cmd
}

// request validates the flags into the body of POST /api-keys (docs/api.md#routes).
func (o *CreateOptions) request(now time.Time) (api.CreateKeyRequest, error) {
	var req api.CreateKeyRequest
	if o.Name == "" {
		return req, usageHint("Usage: zupy keys create --name NAME --scopes S1,S2", "--name is required")
	}
	if err := validateName(o.Name); err != nil {
		return req, err
	}
	if o.Scopes == nil {
		return req, usageHint("Run `zupy scopes` for the list, e.g. --scopes loyalty:read,coupons:validate", "--scopes is required")
	}
	perms, err := parseScopes("scopes", o.Scopes)
	if err != nil {
		return req, err
	}
	if err := validateDescription(o.Description); err != nil {
		return req, err
	}
	env, err := normalizeEnvironment(o.Environment)
	if err != nil {
		return req, err
	}
	o.Environment = env
	req = api.CreateKeyRequest{Name: o.Name, Description: o.Description, Permissions: perms, Environment: o.Environment}
	if o.RateLimitSet {
		if err := parseRateLimit(o.RateLimit); err != nil {
			return api.CreateKeyRequest{}, err
		}
		n := o.RateLimit
		req.RateLimit = &n
	}
	if o.AllowIPs != nil {
		ips, err := parseIPs(o.AllowIPs, "Leave --allow-ip out to allow any address")
		if err != nil {
			return api.CreateKeyRequest{}, err
		}
		req.IPRestrictions = ips
	}
	if req.ExpiresAt, err = parseExpiry(o.Expires, o.ExpiresIn, now); err != nil {
		return api.CreateKeyRequest{}, err
	}
	return req, nil
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	if opts.Prompt {
		if err := askCreate(ctx, opts, opts.Now()); err != nil {
			return err
		}
		if opts.Request, err = opts.request(opts.Now()); err != nil {
			return err
		}
		cs := opts.IO.ErrColorScheme()
		fmt.Fprintf(opts.IO.ErrOut, "%s %s\n", cs.Muted("Equivalent command:"), opts.commandLine())
	}
	if opts.ExpiresIn != "" {
		if opts.Request.ExpiresAt, err = lifetimeExpiry(ctx, s, opts.IO, opts.Prompter, opts.ExpiresIn, opts.Now()); err != nil {
			return err
		}
	}
	var store *keystore.Store
	if opts.Save {
		// Probe the store first: an unusable keyring fails the command
		// before the key exists.
		if store, err = openSecretStore(opts.Resolve, keystore.Profile{Load: opts.Config, Name: opts.Profile}, opts.InsecureStorage); err != nil {
			return err
		}
		if _, err := store.Saved(ctx, ""); err != nil {
			return err
		}
	}
	key, resp, err := s.client.CreateKey(ctx, s.token(), opts.Request)
	if err != nil {
		return s.wrap(err)
	}
	out := newKeyOutput{Title: "Created API key", Verb: "Created", Key: key}
	var saveErr error
	if opts.Save {
		if saveErr = store.Save(ctx, key.KeyID, key.APIKey, opts.Default); saveErr == nil {
			out.Default = opts.Default
			out.Notes = append(out.Notes, savedNote(key.KeyID, store.Where(), opts.Default))
			opts.Resolve.LearnExpiry(key.APIKey, key.KeyID, key.ExpiresAt, resp.ServerNow(opts.Now()))
		}
	}
	// The secret is printed whatever happened to --save: it is never lost.
	if err := out.print(opts.IO, opts.JSON, resp.ServerNow(opts.Now())); err != nil {
		return err
	}
	if saveErr != nil {
		return saveFailed(key.KeyID, saveErr)
	}
	return nil
}
