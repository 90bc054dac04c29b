// Package auth is `zupy login`, `zupy logout` and `zupy auth status|token`:
// the partner's one-time-code login and where its session is kept.
package auth

import (
	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// NewCmdAuth returns the `zupy auth` group.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth <command>",
		Short: "Show the login status or print the session token",
		Args:  cobra.ArbitraryArgs,
		RunE:  cmdutil.GroupRun,
	}
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdToken(f, nil))
	return cmd
}
