// Package versioncmd is `zupy version`.
package versioncmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Template is the text of `zupy --version`, the same as `zupy version`.
func Template() string {
	return text(build.Current())
}

func text(i build.Info) string {
	return fmt.Sprintf("zupy version %s\ncommit: %s\nbuilt: %s\ngo: %s\n", i.Version, i.Commit, i.Date, i.GoVersion)
}

// New returns the version command.
func New(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := build.Current()
			if f.JSON() {
				return ui.WriteJSON(f.IO.Out, info)
			}
			_, err := fmt.Fprint(f.IO.Out, text(info))
			return err
		},
	}
}
