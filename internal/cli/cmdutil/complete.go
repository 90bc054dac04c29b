package cmdutil

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/scope"
)

// CompleteScopeList completes the scope after the last comma of
// toComplete, keeping what is before it and leaving out the scopes already
// given (spaces around them ignored, as the flags read them).
func CompleteScopeList(toComplete string) []string {
	prefix, cur := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		prefix, cur = toComplete[:i+1], toComplete[i+1:]
	}
	var given []string
	for _, s := range strings.Split(prefix, ",") {
		given = append(given, strings.TrimSpace(s))
	}
	var out []string
	for _, s := range scope.Catalog {
		if strings.HasPrefix(s.Name, strings.TrimSpace(cur)) && !slices.Contains(given, s.Name) {
			out = append(out, prefix+s.Name+"\t"+s.Description)
		}
	}
	return out
}

// RegisterScopeCompletion completes each of flags, comma-separated scope
// lists, with CompleteScopeList.
func RegisterScopeCompletion(cmd *cobra.Command, flags ...string) {
	for _, name := range flags {
		_ = cmd.RegisterFlagCompletionFunc(name, func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return CompleteScopeList(toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		})
	}
}
