// Package completion is `zupy completion`: shell completion scripts.
package completion

import (
	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// New returns the completion command.
func New(f *cmdutil.Factory) *cobra.Command {
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
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		Args:      cmdutil.ExactArgs("SHELL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			out := f.IO.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return cmdutil.Usagef("unsupported shell %q: must be bash, zsh, fish or powershell", args[0])
		},
	}
}
