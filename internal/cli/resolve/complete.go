package resolve

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/credentials"
)

// completionTimeout bounds the store read that completes --key-id: a shell
// waiting on <Tab> must never hang.
const completionTimeout = 2 * time.Second

// CompleteSavedKeyIDs completes --key-id with the keys saved in the
// profile, each with its masked hint; any failure completes nothing.
func (r *Resolver) CompleteSavedKeyIDs(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	store, err := r.Store()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	saved, err := credentials.SavedKeys(ctx, store, r.Profile())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, k := range saved {
		if strings.HasPrefix(k.KeyID, toComplete) {
			out = append(out, k.KeyID+"\t"+k.Hint)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
