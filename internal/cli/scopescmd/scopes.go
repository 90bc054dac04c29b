// Package scopescmd is `zupy scopes`, the permission scope catalog.
package scopescmd

import (
	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
)

// New returns the scopes command.
func New(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "scopes",
		Short: "List the permission scopes an API key can hold",
		Long: `List the permission scopes an API key can hold, with what each allows and its
group. Give them to "zupy keys create --scopes" as a comma-separated list.`,
		Example: `  zupy scopes
  zupy scopes -o json | jq -r '.[].name'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.JSON() {
				return ui.WriteJSON(f.IO.Out, scope.Catalog)
			}
			t := ui.NewTable(f.IO, "SCOPE", "GROUP", "DESCRIPTION")
			cs := f.IO.ColorScheme()
			for _, s := range scope.Catalog {
				t.AddField(s.Name, cs.Accent)
				t.AddField(s.Group, cs.Muted)
				t.AddField(s.Description)
				t.EndRow()
			}
			return t.Render()
		},
	}
}
