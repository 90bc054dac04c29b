package keys

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// ShowOptions is what `keys show` uses.
type ShowOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Now      func() time.Time
	Settings func() (*config.Resolver, error)
	Client   func() (*api.Client, error)
	Resolver func() (credentials.Resolver, error)

	KeyID string
}

// NewCmdShow returns `keys show`; runF replaces the run in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Now: f.Now, Settings: f.Settings, Client: f.Client, Resolver: f.Resolve.Credentials}
	cmd := &cobra.Command{
		Use:   "show KEY_ID",
		Short: "Show one API key",
		Long: `Show every field of one API key. The secret is never shown: only its masked
hint (zup_live_sk_…9i0j). On a terminal, without KEY_ID, a list of the keys
is offered to pick from.

On a terminal the fields are labelled for people; in a pipe each line is
"<field>\t<value>" with the API's field names and RFC 3339 times. -o json
prints the key object.`,
		Example: `  zupy keys show key_0123456789ab
  zupy keys show key_0123456789ab -o json | jq .permissions`,
		Args:              keyIDArg(f.IOStreams),
		ValidArgsFunction: completeKeyIDs(f, "all"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.KeyID, err = keyIDFrom(args); err != nil {
				return err
			}
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	s, err := openSession(ctx, opts.Client, opts.Resolver)
	if err != nil {
		return err
	}
	if opts.KeyID == "" {
		if opts.KeyID, err = pickKey(ctx, opts.IO, s, "show", "all"); err != nil {
			return err
		}
	}
	key, resp, err := s.client.GetKey(ctx, s.token(), opts.KeyID)
	if err != nil {
		return s.wrap(err)
	}
	return printKey(opts.IO, opts.JSON, key, func() bool { return key.KeyID == defaultKeyID(opts.Settings) }, resp.ServerNow(opts.Now()))
}

// printKey prints a key without secret: JSON, labelled fields on a terminal,
// or "field\tvalue" lines. isDefault is asked only for the terminal; now is
// the server's time, which relative times count from.
func printKey(io *ui.IOStreams, asJSON bool, key *api.Key, isDefault func() bool, now time.Time) error {
	key.APIKey = "" // never printed by show or update
	if asJSON {
		return ui.WriteJSON(io.Out, key)
	}
	if io.IsStdoutTTY() {
		cs := io.ColorScheme()
		_, err := fmt.Fprintln(io.Out, ui.RenderFieldsWidth(cs, keyFields(cs, key, now, isDefault()), io.KnownTerminalWidth()))
		return err
	}
	_, err := fmt.Fprint(io.Out, plainKey(key))
	return err
}

// plainKey is the script-safe form of a key: one "field\tvalue" line per
// field of the key object, lists comma-separated, null as empty.
// plainRotation is last_rotation as "<by> [<key_id>] <at>": "session
// 2026-01-01T10:00:00Z" or "key key_0123456789ab 2026-01-01T10:00:00Z".
func plainRotation(r *api.Rotation) string {
	if r == nil {
		return ""
	}
	at := r.At.UTC().Format(time.RFC3339)
	if r.KeyID != "" {
		return r.By + " " + r.KeyID + " " + at
	}
	return r.By + " " + at
}

func plainKey(k *api.Key) string {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	rows := [][2]string{
		{"key_id", k.KeyID},
		{"name", k.Name},
		{"description", k.Description},
		{"environment", k.Environment},
		{"permissions", strings.Join(k.Permissions, ",")},
		{"rate_limit", fmt.Sprint(k.RateLimit)},
		{"ip_restrictions", strings.Join(k.IPRestrictions, ",")},
		{"created_at", ts(&k.CreatedAt)},
		{"expires_at", ts(&k.ExpiresAt)},
		{"last_used_at", ts(k.LastUsedAt)},
		{"usage_count", fmt.Sprint(k.UsageCount)},
		{"status", k.Status},
		{"revoked_at", ts(k.RevokedAt)},
		{"rotated_from", str(k.RotatedFrom)},
		{"rotated_to", str(k.RotatedTo)},
		{"key_hint", k.KeyHint},
		{"last_rotation", plainRotation(k.LastRotation)},
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r[0] + "\t" + ui.SingleLine(r[1]) + "\n")
	}
	return b.String()
}
