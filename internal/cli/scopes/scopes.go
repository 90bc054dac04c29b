// Package scopes is `zupy scopes`, the permission scope catalog.
package scopes

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
)

// ScopesOptions is what `zupy scopes` uses.
type ScopesOptions struct {
	IO   *ui.IOStreams
	JSON bool
}

// NewCmdScopes returns `zupy scopes`; runF replaces the run in tests.
func NewCmdScopes(f *cmdutil.Factory, runF func(*ScopesOptions) error) *cobra.Command {
	opts := &ScopesOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "scopes",
		Short: "List the permission scopes an API key can hold",
		Long: `List the permission scopes an API key can hold, with what each allows and its
group. Give them to "zupy keys create --scopes" as a comma-separated list.`,
		Example: `  zupy scopes
  zupy scopes -o json | jq -r '.[].name'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return scopesRun(cmd.Context(), opts)
		},
	}
}

func scopesRun(_ context.Context, opts *ScopesOptions) error {
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, scope.Catalog)
	}
	t := ui.NewTable(opts.IO, "SCOPE", "GROUP", "DESCRIPTION")
	cs := opts.IO.ColorScheme()
	for _, s := range scope.Catalog {
		t.AddField(s.Name, cs.Accent)
		t.AddField(s.Group, cs.Muted)
		t.AddField(s.Description)
		t.EndRow()
	}
	return t.Render()
}
