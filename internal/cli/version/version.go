// Package version is `zupy version`.
package version

import (
	"context"
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

// VersionOptions is what `zupy version` uses.
type VersionOptions struct {
	IO   *ui.IOStreams
	JSON bool
	Info build.Info
}

// NewCmdVersion returns `zupy version`; runF replaces the run in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			opts.Info = build.Current()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(cmd.Context(), opts)
		},
	}
}

func versionRun(_ context.Context, opts *VersionOptions) error {
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, opts.Info)
	}
	_, err := fmt.Fprint(opts.IO.Out, text(opts.Info))
	return err
}
