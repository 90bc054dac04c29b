// Package keys is `zupy keys`: create, list, show, update, rotate, revoke and
// import API keys (docs/cli/zupy_keys.md). Every flag is validated locally, with the
// rules the emulator applies (internal/apikey, internal/scope), before any
// request is sent; a bad flag is a usage error (exit 2) naming the flag.
package keys

import (
	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/keys/scan"
)

// NewCmdKeys returns the keys command group.
func NewCmdKeys(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Create, list, rotate and revoke API keys",
		Long: `Manage the API keys of your partner account: create keys with permission
scopes, a rate limit, an IP allow-list and an expiry; list and inspect them;
change them; rotate them with a grace period; revoke them; and keep their
secrets in the OS keyring of the active profile.

Key management runs under your login session ("zupy login", or
ZUPY_SESSION_TOKEN). "zupy keys rotate --self" is the exception: the key in
ZUPY_API_KEY rotates itself, so CI needs no login.

A secret is printed once, when the key is created or rotated. With --save it
is also stored in the profile's credential store (never in config.yaml).`,
		Example: `  zupy keys create --name "PDV loja 1" --scopes loyalty:read,coupons:validate --save --default
  zupy keys list
  zupy keys rotate key_0123456789ab --grace 48h --save
  zupy keys revoke key_0123456789ab --yes`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	cmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdUsage(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdRotate(f, nil),
		NewCmdRevoke(f, nil),
		NewCmdImport(f, nil),
		scan.NewCmdScan(f, nil),
		NewCmdAudit(f, nil),
	)
	return cmd
}
