// Package config is `zupy config`: the settings of the active profile.
package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	zconfig "github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/ui"
)

// NewCmdConfig returns the config command group.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	var keys strings.Builder
	for _, s := range zconfig.Settings {
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
  zupy --profile staging config set environment staging
  zupy config get base_url
  zupy config list`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdGet(f, nil), NewCmdSet(f, nil), NewCmdUnset(f, nil), NewCmdPath(f, nil))
	return cmd
}

func completeKeys(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return zconfig.Keys(), cobra.ShellCompDirectiveNoFileComp
}

// settings is the active profile's resolver, its errors made usage errors.
func settings(get func() (*zconfig.Resolver, error)) (*zconfig.Resolver, error) {
	r, err := get()
	return r, err
}

// editProfile loads config.yaml, checks the profile name, applies edit to
// the profile and saves the file when edit changed it. A refused edit
// changes nothing on disk.
func editProfile(load func() (*zconfig.File, error), profile string, edit func(*zconfig.File) (changed bool, err error)) error {
	file, err := load()
	if err != nil {
		return err
	}
	if err := zconfig.ValidateProfile(profile); err != nil {
		return err
	}
	changed, err := edit(file)
	if err != nil || !changed {
		return err
	}
	return file.Save()
}

// ListOptions is what `config list` uses.
type ListOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Settings func() (*zconfig.Resolver, error)
}

// NewCmdList returns `config list`; runF replaces the run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Settings: f.Settings}
	return &cobra.Command{
		Use:   "list",
		Short: "Show every setting with its effective value and where it came from",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
}

func listRun(_ context.Context, opts *ListOptions) error {
	r, err := settings(opts.Settings)
	if err != nil {
		return err
	}
	values, err := r.All()
	if err != nil {
		return err
	}
	effectiveEnvironment(values)
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, values)
	}
	t := ui.NewTable(opts.IO, "KEY", "VALUE", "SOURCE")
	cs := opts.IO.ColorScheme()
	for _, v := range values {
		t.AddField(v.Key, cs.Bold)
		t.AddField(v.Value)
		src := string(v.Source)
		switch {
		case v.Origin != "":
			src += " (" + v.Origin + ")"
		case v.Via != "":
			src += " (from " + v.Via + ")"
		}
		t.AddField(src, cs.Muted)
		t.EndRow()
	}
	return t.Render()
}

// GetOptions is what `config get` uses.
type GetOptions struct {
	IO       *ui.IOStreams
	JSON     bool
	Settings func() (*zconfig.Resolver, error)

	Key string
}

// NewCmdGet returns `config get`; runF replaces the run in tests.
func NewCmdGet(f *cmdutil.Factory, runF func(*GetOptions) error) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Settings: f.Settings}
	return &cobra.Command{
		Use:               "get KEY",
		Short:             "Print the effective value of a setting",
		Args:              cmdutil.ExactArgs("KEY"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Key = f.JSON(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
}

func getRun(_ context.Context, opts *GetOptions) error {
	r, err := settings(opts.Settings)
	if err != nil {
		return err
	}
	v, err := r.Get(opts.Key)
	if err != nil {
		return err
	}
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, v)
	}
	_, err = fmt.Fprintln(opts.IO.Out, v.Value)
	return err
}

// SetOptions is what `config set` uses.
type SetOptions struct {
	IO     *ui.IOStreams
	JSON   bool
	Config func() (*zconfig.File, error)
	// Resolve refuses a plain-http base_url not opted into.
	Resolve *resolve.Resolver
	Profile string

	Key, Value string
}

// NewCmdSet returns `config set`; runF replaces the run in tests.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{IO: f.IOStreams, Config: f.Config, Resolve: f.Resolve}
	return &cobra.Command{
		Use:               "set KEY VALUE",
		Short:             "Store a setting in the active profile",
		Args:              cmdutil.ExactArgs("KEY", "VALUE"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Profile = f.JSON(), f.Profile()
			opts.Key, opts.Value = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return setRun(cmd.Context(), opts)
		},
	}
}

func setRun(_ context.Context, opts *SetOptions) error {
	var stored string
	err := editProfile(opts.Config, opts.Profile, func(file *zconfig.File) (bool, error) {
		if err := file.Set(opts.Profile, opts.Key, opts.Value); err != nil {
			return false, err
		}
		stored, _ = file.Get(opts.Profile, opts.Key)
		if opts.Key == zconfig.BaseURL {
			// Refused now rather than at the first request, which would
			// send a credential in clear text.
			if err := opts.Resolve.RefuseInsecureHTTP(stored); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if !opts.JSON && opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "%s Set %s to %s in profile %s\n", opts.IO.ErrColorScheme().SuccessIcon(), opts.Key, stored, opts.Profile)
	}
	return nil
}

// UnsetOptions is what `config unset` uses.
type UnsetOptions struct {
	Config  func() (*zconfig.File, error)
	Profile string

	Key string
}

// NewCmdUnset returns `config unset`; runF replaces the run in tests.
func NewCmdUnset(f *cmdutil.Factory, runF func(*UnsetOptions) error) *cobra.Command {
	opts := &UnsetOptions{Config: f.Config}
	return &cobra.Command{
		Use:               "unset KEY",
		Short:             "Remove a setting from the active profile",
		Args:              cmdutil.ExactArgs("KEY"),
		ValidArgsFunction: completeKeys,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile, opts.Key = f.Profile(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return unsetRun(cmd.Context(), opts)
		},
	}
}

func unsetRun(_ context.Context, opts *UnsetOptions) error {
	return editProfile(opts.Config, opts.Profile, func(file *zconfig.File) (bool, error) {
		return file.Unset(opts.Profile, opts.Key)
	})
}

// PathOptions is what `config path` uses.
type PathOptions struct {
	IO         *ui.IOStreams
	ConfigPath func() (string, error)
}

// NewCmdPath returns `config path`; runF replaces the run in tests.
func NewCmdPath(f *cmdutil.Factory, runF func(*PathOptions) error) *cobra.Command {
	opts := &PathOptions{IO: f.IOStreams, ConfigPath: f.ConfigPath}
	return &cobra.Command{
		Use:   "path",
		Short: "Print the path of the config file",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pathRun(cmd.Context(), opts)
		},
	}
}

func pathRun(_ context.Context, opts *PathOptions) error {
	p, err := opts.ConfigPath()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(opts.IO.Out, p)
	return err
}

// effectiveEnvironment fills in an environment left unset with the one the
// base URL names (production or staging), marked as derived from base_url:
// config list shows what is in effect, and an unset environment is not
// "none" when the base URL is Zupy's. Another server (an emulator) has no
// environment of its own, and stays empty.
func effectiveEnvironment(values []zconfig.Value) {
	var base string
	for _, v := range values {
		if v.Key == zconfig.BaseURL {
			base = v.Value
		}
	}
	for i, v := range values {
		if v.Key != zconfig.Environment || v.Value != "" {
			continue
		}
		for _, env := range apikey.Environments {
			if strings.TrimRight(base, "/") == env.BaseURL() {
				values[i].Value, values[i].Via = string(env), zconfig.BaseURL
			}
		}
	}
}
