package keys

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Statuses `keys list --status` accepts.
var listStatuses = []string{api.StatusActive, api.StatusExpired, api.StatusRevoked, "all"}

// ListOptions is what `keys list` uses.
type ListOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Now      func() time.Time
	Settings func() (*config.Resolver, error)
	Profile  string
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)

	Environment string
	Status      string
	// Limit > 0 lists at most that many keys; All lists every key even on
	// a terminal (which otherwise shows the first page).
	Limit int
	All   bool
}

// terminalPage is how many keys `keys list` shows on a terminal unless
// told otherwise: the server's page.
const terminalPage = api.DefaultPageLimit

// NewCmdList returns `keys list`; runF replaces the run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Now: f.Now, Settings: f.Settings, Client: f.Client, Resolver: f.Resolve.Credentials}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List API keys",
		Long: `List the partner's API keys: id, name, environment, scopes, rate limit
(requests per minute), IP allow-list, expiry, last use and status.

On a terminal expiry and last use are relative ("in 89 days"), an expiry under
7 days is shown in red, the keys whose secret is saved on this machine are
marked + and the profile's default key * (a line under the table says so),
and a key still working after its rotation shows "active (rotated, until …)".
The saved keys
are not read from the keyring while the session comes from
ZUPY_SESSION_TOKEN (a headless keyring would only make list wait). In a
pipe each key is one tab-separated line with RFC 3339 times, without a header:
ID NAME ENV SCOPES RATE IPS EXPIRES LAST_USED STATUS, lists comma-separated and
empty fields for none. -o json prints an array of key objects.

On a terminal the newest 100 keys are shown, with a line saying how to see
more: --limit N shows up to N, --all every key. In a pipe (rows or -o json)
every key is listed unless --limit is given, so no script is cut short; the
pages are walked so that each key that existed when the listing began appears
exactly once.

Secrets are never listed.`,
		Example: `  zupy keys list
  zupy keys list --environment staging --status all
  zupy keys list -o json | jq -r '.[].key_id'
  zupy keys list | cut -f1,2
  zupy keys list --all --status all`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Environment != "" {
				env, err := normalizeEnvironment(opts.Environment)
				if err != nil {
					return err
				}
				opts.Environment = env
			}
			if err := cmdutil.OneOf("status", opts.Status, listStatuses...); err != nil {
				return err
			}
			if cmd.Flags().Changed("limit") && opts.Limit < 1 {
				return cmdutil.Usagef("--limit must be a whole number of at least 1 (got %d)", opts.Limit)
			}
			if opts.All && opts.Limit > 0 {
				return cmdutil.Usagef("--limit and --all cannot be combined")
			}
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Environment, "environment", "", "Only keys of this `ENV`: production or staging")
	fl.StringVar(&opts.Status, "status", api.StatusActive, "Only keys with this `STATUS`: active, expired, revoked or all")
	fl.IntVar(&opts.Limit, "limit", 0, "List at most `N` keys, the newest first")
	fl.BoolVar(&opts.All, "all", false, "List every key, also on a terminal (which shows the newest 100)")
	registerEnvironmentCompletion(cmd)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(listStatuses, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	q := api.ListKeysQuery{Environment: opts.Environment, Status: opts.Status, Limit: api.MaxPageLimit}
	var keys []api.Key
	var resp *api.Response
	more := false
	switch {
	case opts.Limit > 0:
		keys, resp, err = s.client.ListKeysUpTo(ctx, s.token(), q, opts.Limit)
	case opts.All || !opts.IO.IsStdoutTTY():
		keys, resp, err = s.client.ListKeysUpTo(ctx, s.token(), q, 0)
	default: // a person at a terminal: the first page, and how to see more
		q.Limit = terminalPage
		var page *api.KeyList
		if page, resp, err = s.client.ListKeysPage(ctx, s.token(), q); err == nil {
			keys, more = page.Data, page.NextCursor != nil && *page.NextCursor != ""
		}
	}
	if err != nil {
		return s.wrap(err)
	}
	if more {
		defer fmt.Fprintf(opts.IO.ErrOut, "Showing the newest %d keys; see more with --limit N, or every key with --all\n", len(keys))
	}
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, keys)
	}
	if len(keys) == 0 {
		if opts.IO.IsStderrTTY() {
			fmt.Fprintln(opts.IO.ErrOut, "No keys. Create one with `"+cmdutil.ZupyCommand(opts.Profile, "keys create --name NAME --scopes SCOPES")+"`")
		}
		return nil
	}
	var saved []string
	if opts.IO.IsStdoutTTY() {
		saved = savedKeyIDs(ctx, opts.Resolver, s.session.Source)
	}
	// Times are relative to the server's clock (its Date), not this one's.
	return renderKeyTable(opts.IO, keys, resp.ServerNow(opts.Now()), defaultKeyID(opts.Settings), saved)
}

// savedKeyIDs are the ids of the keys saved in the profile's store, to mark
// them in the list; nil when they cannot be read. The keyring is not opened
// when the session came from the environment: nothing else needed it, and on
// a headless box it would fail or wait for its timeout. A file store is read.
func savedKeyIDs(ctx context.Context, resolver func() (credentials.Resolver, error), session credentials.Source) []string {
	r, err := resolver()
	if err != nil || r.Store == nil {
		return nil
	}
	if session.Kind == credentials.SourceEnv && r.Store.Location() == "keyring" {
		return nil
	}
	keys, err := credentials.SavedKeys(ctx, r.Store, r.Profile)
	if err != nil {
		return nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.KeyID
	}
	return ids
}

// renderKeyTable prints keys as the list table; on a terminal the default
// key and the saved ones are marked.
func renderKeyTable(io *ui.IOStreams, keys []api.Key, now time.Time, defaultID string, saved []string) error {
	cs := io.ColorScheme()
	t := ui.NewTable(io, "ID", "NAME", "ENV", "SCOPES", "RATE", "IPS", "EXPIRES", "LAST USED", "STATUS")
	// A narrow terminal leaves these out first, then wraps what is left.
	t.Optional("IPS", "RATE", "LAST USED", "ENV", "SCOPES", "EXPIRES")
	t.Shrinkable("NAME", 12)
	t.Shrinkable("SCOPES", 16)
	t.Shrinkable("STATUS", 10)
	marked := false
	for _, k := range keys {
		id := k.KeyID
		if t.IsTTY() {
			switch {
			case id == defaultID:
				id, marked = id+"*", true
			case slices.Contains(saved, id):
				id, marked = id+"+", true
			}
		}
		t.AddField(id, cs.Bold)
		t.AddField(k.Name)
		t.AddField(k.Environment)
		if t.IsTTY() {
			// Spaced, so that a narrow terminal wraps between scopes.
			t.AddField(strings.Join(k.Permissions, ", "))
		} else {
			t.AddField(strings.Join(k.Permissions, ","))
		}
		t.AddField(fmt.Sprint(k.RateLimit))
		ips := strings.Join(k.IPRestrictions, ",")
		if t.IsTTY() {
			switch n := len(k.IPRestrictions); {
			case n == 0:
				ips = "any"
			case n > 2:
				ips = fmt.Sprintf("%d entries", n)
			}
		}
		t.AddField(ips)
		if style := expiryStyle(cs, k.ExpiresAt, now); style != nil {
			t.AddTime(k.ExpiresAt, now, style)
		} else {
			t.AddTime(k.ExpiresAt, now)
		}
		var last time.Time
		if k.LastUsedAt != nil {
			last = *k.LastUsedAt
		}
		t.AddTime(last, now, cs.Muted)
		status := k.Status
		if t.IsTTY() && k.Status == api.StatusActive && k.RotatedTo != nil {
			// The predecessor in its grace period: told apart from its
			// successor, which has the same name.
			status = "active (rotated, until " + k.ExpiresAt.UTC().Format("Jan 2 15:04Z") + ")"
		}
		t.AddField(status, statusStyle(cs, k.Status))
		t.EndRow()
	}
	if marked {
		t.Note("* the profile's default key   + its secret is saved on this machine")
	}
	return t.Render()
}
