package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Status is what `zupy auth status` reports; -o json prints it as is.
type Status struct {
	Profile          string                 `json:"profile"`
	Active           bool                   `json:"active"`
	BaseURL          string                 `json:"base_url"`
	Environment      string                 `json:"environment,omitempty"`
	LoggedIn         bool                   `json:"logged_in"`
	Partner          *api.Partner           `json:"partner"`
	ExpiresAt        *time.Time             `json:"expires_at"`
	SecondsLeft      int64                  `json:"seconds_left"`
	CredentialSource string                 `json:"credential_source,omitempty"`
	Problem          string                 `json:"problem,omitempty"`
	APIKeySource     string                 `json:"api_key_source,omitempty"`
	APIKeyHint       string                 `json:"api_key_hint,omitempty"`
	SavedKeys        []credentials.SavedKey `json:"saved_keys"` // null when not read
	DefaultKeyID     string                 `json:"default_key_id"`

	// unreadable is why the profile's credential store could not be read
	// (no keyring on a first run), for the hint.
	unreadable *credentials.UnavailableError
}

// StatusOptions is what `zupy auth status` uses.
type StatusOptions struct {
	IO      *ui.IOStreams
	JSON    bool
	Profile string
	Now     func() time.Time
	// Resolve finds the profile's settings, base URL and credentials.
	Resolve *resolve.Resolver
	// ClientFor is a client of the base URL the status reports.
	ClientFor func(baseURL string) (*api.Client, error)
	// Config and ForProfile find and open every profile, for --all.
	Config     func() (*config.File, error)
	ForProfile func(name string) *cmdutil.Factory
	// CredentialsFile is where credential_store file keeps credentials,
	// for the hint when the keyring cannot be read.
	CredentialsFile func() (string, error)

	All bool
}

// NewCmdStatus returns `zupy auth status`; runF replaces the run in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IOStreams, Now: f.Now, Resolve: f.Resolve, ClientFor: f.ClientFor,
		Config: f.Config, ForProfile: f.ForProfile, CredentialsFile: f.Resolve.CredentialsFilePath}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show who is logged in, until when, and where the credentials come from",
		Long: `Show the active profile, its base URL, the partner logged in, the session's
expiry and time left, where the session comes from (keyring, file or
ZUPY_SESSION_TOKEN), the saved API keys (masked) and the default key.

With --all, every profile in the config file (and "default"): its base URL,
the partner logged in, the session's validity and the default key. The
active profile is marked; flags and variables (--base-url, ZUPY_BASE_URL,
ZUPY_SESSION_TOKEN) speak for it alone.

Exits 3 when the active profile is not logged in or its session has expired,
and when its credentials cannot be read (no OS keyring on a headless first
run): every other line is still printed, and the hint says how to go on.`,
		Example: `  zupy auth status
  zupy auth status --all
  zupy auth status -o json | jq -r .expires_at`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "Show every profile")
	return cmd
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	if opts.All {
		return statusAllRun(ctx, opts)
	}
	st, err := profileStatus(ctx, opts.Profile, opts.Resolve, opts.ClientFor, opts.Now)
	if err != nil {
		return err
	}
	st.Active = true
	if opts.JSON {
		if err := ui.WriteJSON(opts.IO.Out, st); err != nil {
			return err
		}
	} else {
		printStatus(opts.IO, &st, false)
		if !st.LoggedIn {
			printLoginHint(opts, &st)
		}
	}
	if !st.LoggedIn {
		return &cmdutil.SilentError{Kind: api.KindAuth}
	}
	return nil
}

// statusAllRun is --all: every profile's status, the active one first.
// A profile whose credentials cannot be read (a keyring that is not
// there) is reported as such, and the others still are.
func statusAllRun(ctx context.Context, opts *StatusOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	names := []string{opts.Profile}
	for _, n := range append([]string{config.DefaultProfile}, cfg.ProfileNames()...) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	all := make([]Status, 0, len(names))
	for _, name := range names {
		p := opts.ForProfile(name)
		st, err := profileStatus(ctx, name, p.Resolve, p.ClientFor, opts.Now)
		if err != nil {
			var unavailable *credentials.UnavailableError
			if !errors.As(err, &unavailable) {
				return err
			}
			st.Problem = "credentials not readable: " + unavailable.Error()
		}
		st.Active = name == opts.Profile
		all = append(all, st)
	}
	if opts.JSON {
		if err := ui.WriteJSON(opts.IO.Out, all); err != nil {
			return err
		}
	} else {
		for i, st := range all {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			printStatus(opts.IO, &st, true)
		}
	}
	if !all[0].LoggedIn {
		return &cmdutil.SilentError{Kind: api.KindAuth}
	}
	return nil
}

// profileStatus is the status of one profile, read with its own settings,
// credentials and base URL.
func profileStatus(ctx context.Context, profile string, res *resolve.Resolver,
	clientFor func(string) (*api.Client, error), localNow func() time.Time) (Status, error) {
	st := Status{Profile: profile, SavedKeys: []credentials.SavedKey{}}
	settings, err := res.Settings()
	if err != nil {
		return st, err
	}
	base, err := res.Configured()
	if err != nil {
		return st, err
	}
	st.BaseURL = base.Value
	if v, err := settings.Get(config.Environment); err == nil {
		st.Environment = v.Value
	}
	if v, err := settings.Get(config.DefaultKeyID); err == nil {
		st.DefaultKeyID = v.Value
	}
	r, err := res.Credentials()
	if err != nil {
		return st, err
	}
	if secret := res.EnvAPIKey(); secret != "" {
		st.APIKeySource, st.APIKeyHint = credentials.EnvAPIKey, apikey.Mask(secret)
	}
	token, src, err := r.Session(ctx)
	var unavailable *credentials.UnavailableError
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		st.Problem = "not logged in"
	case errors.As(err, &unavailable):
		// A status reports what it can: the keyring is one line of it.
		st.Problem = "unknown: the " + r.Store.Location() + " could not be read (" + unavailable.Error() + ")"
		st.unreadable = unavailable
		st.SavedKeys = nil
		return st, nil
	case err != nil:
		return st, err
	default:
		st.CredentialSource = src.String()
		if src.Kind != credentials.SourceEnv {
			// A stored session is only sent to the base URL that issued it.
			var mismatch *resolve.IssuerMismatchError
			if err := resolve.CheckSessionIssuer(ctx, r.Store, profile, base.Value); errors.As(err, &mismatch) {
				st.Problem = "not logged in at this base URL (the session was issued by " + mismatch.Issuer + ")"
				break
			} else if err != nil {
				return st, err
			}
		}
		client, err := clientFor(base.Value)
		if err != nil {
			return st, err
		}
		session, resp, err := client.Session(ctx, token)
		var apiErr *api.Error
		switch {
		case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
			st.Problem = lowerFirst(apiErr.Message)
		case err != nil:
			return st, err
		default:
			st.LoggedIn = true
			st.Partner = &session.Partner
			st.ExpiresAt = &session.ExpiresAt
			// Time left is counted on the server's clock (its Date header):
			// the session ends when the server says, whatever this clock says.
			now := resp.ServerNow(localNow())
			st.SecondsLeft = max(int64(session.ExpiresAt.Sub(now).Seconds()), 0)
		}
	}
	// Saved keys live in the profile's store. When the session came from the
	// environment the keyring has not been opened, and is not opened now: on a
	// headless box that would wait for its timeout. The file store is read.
	if src.Kind != credentials.SourceEnv || r.Store.Location() != "keyring" {
		if keys, kerr := credentials.SavedKeys(ctx, r.Store, profile); kerr == nil && keys != nil {
			st.SavedKeys = keys
		}
	} else {
		st.SavedKeys = nil
	}
	return st, nil
}

// printStatus writes st; markActive marks the active profile (--all).
func printStatus(io *ui.IOStreams, st *Status, markActive bool) {
	cs := io.ColorScheme()
	out := io.Out
	// Values are cleaned before they are styled (ui.SingleLine): they
	// quote the server (a partner, a refusal) and the config file.
	row := func(label, value string) { fmt.Fprintf(out, "%-13s %s\n", label+":", value) }
	profile := st.Profile
	if markActive && st.Active {
		profile += " " + cs.Muted("(active)")
	}
	row("Profile", profile)
	if st.Environment != "" {
		row("Base URL", ui.SingleLine(st.BaseURL)+" "+cs.Muted(ui.SingleLine("(environment "+st.Environment+")")))
	} else {
		row("Base URL", ui.SingleLine(st.BaseURL))
	}
	if st.LoggedIn {
		row("Partner", fmt.Sprintf("%s <%s>", cs.Bold(ui.SingleLine(st.Partner.Name)), ui.SingleLine(st.Partner.Email)))
		row("Session", fmt.Sprintf("%s until %s (%s left)", cs.Success("valid"), st.ExpiresAt.UTC().Format(time.RFC3339),
			ui.FormatDuration(time.Duration(st.SecondsLeft)*time.Second)))
	} else {
		row("Session", cs.Failure(ui.SingleLine(st.Problem)))
	}
	if st.CredentialSource != "" {
		row("Credentials", ui.SingleLine(st.CredentialSource))
	}
	if st.APIKeySource != "" {
		row("API key", fmt.Sprintf("%s from %s", st.APIKeyHint, st.APIKeySource))
	}
	switch {
	case st.SavedKeys == nil && st.unreadable != nil:
		row("Saved keys", cs.Muted("not read (the keyring could not be read)"))
	case st.SavedKeys == nil:
		row("Saved keys", cs.Muted("not read (the session comes from the environment; the keyring was not opened)"))
	case len(st.SavedKeys) == 0:
		row("Saved keys", cs.Muted("none"))
	}
	for i, k := range st.SavedKeys {
		label := ""
		if i == 0 {
			label = "Saved keys"
		}
		mark := ""
		if k.KeyID == st.DefaultKeyID {
			mark = " " + cs.Accent("(default)")
		}
		if label != "" {
			row(label, ui.SingleLine(k.KeyID+"  "+k.Hint)+mark)
		} else {
			fmt.Fprintf(out, "%-13s %s\n", "", ui.SingleLine(k.KeyID+"  "+k.Hint)+mark)
		}
	}
	if st.DefaultKeyID != "" {
		row("Default key", ui.SingleLine(st.DefaultKeyID))
	}
}

// printLoginHint says on stderr how to log in to the profile of st, or how
// to go on without a keyring.
func printLoginHint(opts *StatusOptions, st *Status) {
	io := opts.IO
	hint := cmdutil.LoginHint(st.Profile)
	switch {
	case st.unreadable != nil:
		if opts.CredentialsFile != nil {
			st.unreadable.FilePath, _ = opts.CredentialsFile()
		}
		profile := st.Profile
		st.unreadable.Command = func(args string) string { return cmdutil.ZupyCommand(profile, args) }
		hint = st.unreadable.Hint()
	case st.CredentialSource == credentials.EnvSessionToken:
		// login refuses to act while the variable is set: say so
		// instead of sending the user there.
		hint = "Unset " + credentials.EnvSessionToken + " or give it a valid session token (`" + cmdutil.ZupyCommand(st.Profile, "login") + "` does not replace it)"
	}
	fmt.Fprintln(io.ErrOut, io.ErrColorScheme().Muted(hint))
}

// lowerFirst lowercases the first letter of a server message for use
// mid-sentence ("Session has expired" → "session has expired").
func lowerFirst(s string) string {
	if s == "" {
		return "refused by the server"
	}
	return strings.ToLower(s[:1]) + s[1:]
}
