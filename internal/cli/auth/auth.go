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
		Long: `Show the login status or print the session token. As in gh, "zupy auth login"
and "zupy auth logout" are "zupy login" and "zupy logout".`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	// gh's habit: auth login and auth logout are the same commands as
	// login and logout, kept out of the help and the generated docs so that
	// each command is documented once.
	login, logout := NewCmdLogin(f, nil), NewCmdLogout(f, nil)
	login.Hidden, logout.Hidden = true, true
	cmd.AddCommand(NewCmdStatus(f, nil), NewCmdToken(f, nil), login, logout)
	return cmd
}
