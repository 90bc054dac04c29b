package auth

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// TokenOptions is what `zupy auth token` uses.
type TokenOptions struct {
	IO       *ui.IOStreams
	Resolver func() (credentials.Resolver, error)
}

// NewCmdToken returns `zupy auth token`; runF replaces the run in tests.
func NewCmdToken(f *cmdutil.Factory, runF func(*TokenOptions) error) *cobra.Command {
	opts := &TokenOptions{IO: f.IOStreams, Resolver: f.Resolve.Credentials}
	return &cobra.Command{
		Use:   "token",
		Short: "Print the session token, alone, for scripts",
		Long: `Print the active profile's session token alone on stdout, for scripts that call
the API themselves. Treat the output as a secret.`,
		Example: `  export ZUPY_SESSION_TOKEN="$(zupy auth token)"`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return tokenRun(cmd.Context(), opts)
		},
	}
}

func tokenRun(ctx context.Context, opts *TokenOptions) error {
	r, err := opts.Resolver()
	if err != nil {
		return err
	}
	s, err := resolve.SessionToken(ctx, r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(opts.IO.Out, s.Token)
	return err
}
