// Package configcmd is `zupy config`: the settings of the active profile.
package configcmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/ui"
)

// New returns the config command group.
func New(f *cmdutil.Factory) *cobra.Command {
	var keys strings.Builder
	for _, s := range config.Settings {
		fmt.Fprintf(&keys, "  %-17s %s", s.Key, s.Description)
		if s.Default != "" {
			fmt.Fprintf(&keys, " (default %s)", s.Default)
		}
		keys.WriteByte('\n')
	}
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Read and change settings of the active profile",
		Long: `Read and change the settings of the active profile (--profile or ZUPY_PROFILE,
"default" otherwise). Settings live in config.yaml in the configuration
directory (see "zupy config path"); it never holds a secret.

Keys:
` + keys.String() + `
Effective values follow flag > environment > config file > default.`,
		Example: `  zupy config set base_url http://127.0.0.1:8790/v1
  zupy --profile staging config set base_url https://api-staging.zupy.com/v1
  zupy config get base_url
  zupy config list`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	cmd.AddCommand(newList(f), newGet(f), newSet(f), newUnset(f), newPath(f))
	return cmd
}

func completeKeys(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return config.Keys(), cobra.ShellCompDirectiveNoFileComp
}

func newList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Show every setting with its effective value and where it came from",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Settings()
			if err != nil {
				return usageIf(err)
			}
			values, err := r.All()
			if err != nil {
				return usageIf(err)
			}
			if f.JSON() {
				return ui.WriteJSON(f.IO.Out, values)
			}
			t := ui.NewTable(f.IO, "KEY", "VALUE", "SOURCE")
			cs := f.IO.ColorScheme()
			for _, v := range values {
				t.AddField(v.Key, cs.Bold)
				t.AddField(v.Value)
				src := string(v.Source)
				if v.Origin != "" {
					src += " (" + v.Origin + ")"
				}
				t.AddField(src, cs.Muted)
				t.EndRow()
			}
			return t.Render()
		},
	}
}

func newGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "get KEY",
		Short:             "Print the effective value of a setting",
		Args:              cmdutil.ExactArgs("KEY"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.Settings()
			if err != nil {
				return usageIf(err)
			}
			v, err := r.Get(args[0])
			if err != nil {
				return usageIf(err)
			}
			if f.JSON() {
				return ui.WriteJSON(f.IO.Out, v)
			}
			_, err = fmt.Fprintln(f.IO.Out, v.Value)
			return err
		},
	}
}

func newSet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "set KEY VALUE",
		Short:             "Store a setting in the active profile",
		Args:              cmdutil.ExactArgs("KEY", "VALUE"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := f.Config()
			if err != nil {
				return err
			}
			if err := config.ValidateProfile(f.Profile()); err != nil {
				return usageIf(err)
			}
			if err := file.Set(f.Profile(), args[0], args[1]); err != nil {
				return usageIf(err)
			}
			if err := file.Save(); err != nil {
				return err
			}
			if !f.JSON() && f.IO.IsStderrTTY() {
				v, _ := file.Get(f.Profile(), args[0])
				fmt.Fprintf(f.IO.ErrOut, "%s Set %s to %s in profile %s\n", f.IO.ErrColorScheme().SuccessIcon(), args[0], v, f.Profile())
			}
			return nil
		},
	}
}

func newUnset(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "unset KEY",
		Short:             "Remove a setting from the active profile",
		Args:              cmdutil.ExactArgs("KEY"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := f.Config()
			if err != nil {
				return err
			}
			if err := config.ValidateProfile(f.Profile()); err != nil {
				return usageIf(err)
			}
			had, err := file.Unset(f.Profile(), args[0])
			if err != nil {
				return usageIf(err)
			}
			if !had {
				return nil
			}
			return file.Save()
		},
	}
}

func newPath(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "path",
		Short: "Print the path of the config file",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.ConfigPath()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, p)
			return err
		},
	}
}

// usageIf turns config's usage errors into CLI usage errors (exit 2).
func usageIf(err error) error {
	if _, ok := err.(*config.UsageError); ok {
		return &cmdutil.UsageError{Err: err}
	}
	return err
}
