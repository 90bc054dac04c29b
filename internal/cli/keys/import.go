package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/keys/keystore"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// maxSecretInput bounds what import reads from stdin.
const maxSecretInput = 4096

// ImportOptions is what `keys import` uses.
type ImportOptions struct {
	IO        *ui.IOStreams
	JSON      bool
	Profile   string
	Config    func() (*config.File, error)
	ClientFor func(baseURL string) (*api.Client, error)
	Prompter  func() *ui.Prompter
	// Resolve chooses the base URL the key is checked at and the store it
	// is saved in.
	Resolve *resolve.Resolver

	InsecureStorage bool
	Default         bool
	KeyStdin        bool
}

// NewCmdImport returns `keys import`; runF replaces the run in tests.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Config: f.Config, ClientFor: f.ClientFor, Prompter: f.Prompter, Resolve: f.Resolve}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Save an existing API key secret in the credential store",
		Long: `Save an existing API key (created elsewhere, or by "keys create" without
--save) in the profile's credential store under its key id.

The secret is read from a prompt with hidden input on a terminal, or from
standard input otherwise (or with --key-stdin); it is never taken as a flag.
It is checked with GET /auth/verify, which tells its key id, before it is
saved. No login is needed. --default also makes it the profile's default key.

The check goes to the base URL chosen as for ping: --base-url, ZUPY_BASE_URL,
the profile's base_url or environment, else the API of the key's own
environment. A key whose environment contradicts the profile's environment
setting is refused before anything is sent or saved, unless the base URL is
named for this run.`,
		Example: `  zupy keys import --default                # on a terminal: the secret is asked, hidden
  printf '%s\n' "$ZUPY_API_KEY" | zupy keys import
  zupy keys import --key-stdin < key.txt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			if runF != nil {
				return runF(opts)
			}
			return importRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Default, "default", false, "Also make it the profile's default key")
	cmd.Flags().BoolVar(&opts.KeyStdin, "key-stdin", false, "Read the secret from standard input even on a terminal")
	cmdutil.AddInsecureStorageFlag(cmd.Flags(), &opts.InsecureStorage, "the secret")
	return cmd
}

// readSecret reads the secret and names where it came from.
func (o *ImportOptions) readSecret(ctx context.Context) (secret, source string, err error) {
	if !o.KeyStdin && o.IO.CanPrompt() {
		s, err := o.Prompter().Secret("Paste the API key (input hidden):")
		if err != nil {
			return "", "", err
		}
		return s, "prompt", nil
	}
	b, err := io.ReadAll(io.LimitReader(cmdutil.ContextReader(ctx, o.IO.In), maxSecretInput+1))
	if errors.Is(err, context.Canceled) {
		return "", "", err
	}
	if err != nil {
		return "", "", fmt.Errorf("read stdin: %w", err)
	}
	if len(b) > maxSecretInput {
		return "", "", cmdutil.Usagef("Invalid API key format (from stdin): more than %d bytes", maxSecretInput)
	}
	return strings.TrimSpace(string(b)), "stdin", nil
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	secret, source, err := opts.readSecret(ctx)
	if err != nil {
		return err
	}
	if secret == "" {
		return usageHint("Pipe the secret in: printf '%s\\n' \"$KEY\" | zupy keys import", "no API key on %s", source)
	}
	parsed, err := parseSecret(secret, source)
	if err != nil {
		return err
	}
	// Where the key goes is decided first: a key the profile refuses is
	// neither sent nor stored.
	base, _, err := opts.Resolve.ForKey(parsed, source)
	if err != nil {
		return err
	}
	store, err := openSecretStore(opts.Resolve, keystore.Profile{Load: opts.Config, Name: opts.Profile}, opts.InsecureStorage)
	if err != nil {
		return err
	}
	client, err := opts.ClientFor(base)
	if err != nil {
		return err
	}
	v, resp, err := client.Verify(ctx, parsed.Secret, nil, false)
	if err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) && apiErr.ServerCode() == wire.ErrIPNotAllowed {
			return cmdutil.WithHint(err, "The key's IP allow-list does not include this machine, so it cannot be verified (or used) from here")
		}
		return err
	}
	if err := store.Save(ctx, v.KeyID, parsed.Secret, opts.Default); err != nil {
		return err
	}
	opts.Resolve.LearnExpiry(parsed.Secret, v.KeyID, v.ExpiresAt, resp.ServerNow(time.Now()))
	if opts.JSON {
		if err := ui.WriteJSON(opts.IO.Out, v); err != nil {
			return err
		}
	}
	cs := opts.IO.ErrColorScheme()
	line := fmt.Sprintf("%s Imported %s (%s, %s) into %s", cs.SuccessIcon(), v.KeyID, v.Environment, strings.Join(v.Permissions, ", "), store.Where())
	if opts.Default {
		line += " as the profile's default key"
	}
	fmt.Fprintln(opts.IO.ErrOut, ui.SingleLine(line))
	return nil
}
