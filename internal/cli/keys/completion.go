package keys

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// completionTimeout bounds the API call that completes key ids: a shell
// waiting on <Tab> must never hang.
const completionTimeout = 2 * time.Second

func registerEnvironmentCompletion(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("environment", cobra.FixedCompletions(
		[]string{"production\tzup_live_sk_ keys", "staging\tzup_test_sk_ keys"}, cobra.ShellCompDirectiveNoFileComp))
}

// completeKeyIDs completes the first argument with the ids of the partner's
// keys (status filters them; "" is the server's default, active; keep, when
// given, filters them further), listed with the stored session within
// completionTimeout. Any failure completes nothing; it never prompts.
func completeKeyIDs(f *cmdutil.Factory, status string, keep ...func(api.Key) bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		// One attempt: a <Tab> neither waits out retries nor prints about them.
		s, err := openSession(ctx, f.QuietClient, f.Resolve.Credentials)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// The first page (the newest keys) is enough for a <Tab>.
		page, _, err := s.client.ListKeysPage(ctx, s.token(), api.ListKeysQuery{Status: status})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, k := range page.Data {
			if len(keep) > 0 && !keep[0](k) {
				continue
			}
			if strings.HasPrefix(k.KeyID, toComplete) {
				out = append(out, ui.SingleLine(k.KeyID)+"\t"+ui.SingleLine(k.Name))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// notRotated keeps the keys that can still be rotated: one rotated already
// (in its grace period, still active) is refused by the server (409).
func notRotated(k api.Key) bool { return k.RotatedTo == nil || *k.RotatedTo == "" }
