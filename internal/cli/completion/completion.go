// Package completion is `zupy completion`: shell completion scripts.
package completion

import (
	"context"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/shellcomp"
)

// shells are the shells a script is generated for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// CompletionOptions is what `zupy completion` uses.
type CompletionOptions struct {
	Out   io.Writer
	Shell string
	// Root is the command tree the script completes.
	Root *cobra.Command
}

// NewCmdCompletion returns `zupy completion`; runF replaces the run in tests.
func NewCmdCompletion(f *cmdutil.Factory, runF func(*CompletionOptions) error) *cobra.Command {
	opts := &CompletionOptions{Out: f.IOStreams.Out}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Completion covers commands, flags,
scope names (comma-aware), environments, output formats, profiles and, with a
stored login, key ids.

Bash (needs the bash-completion package):
  echo 'eval "$(zupy completion bash)"' >> ~/.bashrc
  # or once for all users:
  zupy completion bash | sudo tee /etc/bash_completion.d/zupy

Zsh:
  zupy completion zsh > "${fpath[1]}/_zupy"
  # make sure ~/.zshrc runs: autoload -U compinit && compinit

Fish:
  zupy completion fish > ~/.config/fish/completions/zupy.fish

PowerShell:
  zupy completion powershell | Out-String | Invoke-Expression
  # to keep it, add that line to $PROFILE

Open a new shell after installing.`,
		ValidArgs: shells,
		Args:      cmdutil.ExactArgs("SHELL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(shells, args[0]) {
				return cmdutil.Usagef("unsupported shell %q: must be bash, zsh, fish or powershell", args[0])
			}
			opts.Shell, opts.Root = args[0], cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return completionRun(cmd.Context(), opts)
		},
	}
}

func completionRun(_ context.Context, opts *CompletionOptions) error {
	// shellcomp patches cobra's bash script so a scope after a comma
	// completes; completions/ is generated through it too.
	return shellcomp.Write(opts.Root, opts.Shell, opts.Out)
}
