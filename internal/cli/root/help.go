package root

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// newHelpCmd is `zupy help [command | topic]`. Unlike cobra's own, an
// unknown topic is a usage error (exit 2), not the root help with exit 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command | topic]",
		Short: "Help about any command or topic",
		Long:  "Help about any command, or one of the topics: exit-codes, environment.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var out []string
			target, _, err := c.Root().Find(args)
			if err != nil || target == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
					out = append(out, sub.Name()+"\t"+sub.Short)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return cmdutil.WithHint(cmdutil.Usagef("unknown help topic %q", strings.Join(args, " ")),
					"Run `zupy --help` for the commands and topics")
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// helpTopics are `zupy help <topic>` pages: commands without a Run, which
// cobra lists under "Additional help topics".
func helpTopics() []*cobra.Command {
	return []*cobra.Command{
		{
			Use:   "exit-codes",
			Short: "Exit codes and what they mean",
			Long: `zupy exits with one of these codes, so scripts can tell failures apart:

  0    success
  1    error: network, server, keyring, anything not below, and a request
       the server refused as invalid (HTTP 400) or in conflict (HTTP 409)
  2    usage: bad flag, argument or input, found before any request is sent;
       also a confirmation answered "no" (keys revoke)
  3    authentication failed: not logged in, session expired, key invalid,
       expired or revoked (HTTP 401)
  4    permission denied: missing scope, IP not allowed (HTTP 403)
  5    rate limited, retries exhausted (HTTP 429)
  6    verification failed: one-time code wrong, expired, used or locked
  7    not found (HTTP 404), e.g. an unknown key id
  8    not finished: "zupy keys rotate --watch" gave up (--watch-timeout)
       before the new key was used and the old one idle; the old key was
       left alone, "zupy keys rotate --resume" finishes
  130  interrupted (Ctrl-C)

"zupy keys scan" also exits 1 when it finds a secret (with --verify, a live
key), as secret scanners do, so it fails a CI step or a pre-commit hook;
--exit-code picks another code.

Errors are printed on stderr as "Error: <code> - <message>", followed by a
hint line where one helps. With -o json the error is printed on stderr as
{"error", "message", "details", "exit_code"} instead.`,
		},
		{
			Use:   "environment",
			Short: "Environment variables that zupy reads",
			Long: `zupy reads these environment variables. A flag beats its variable, and a
variable beats the config file.

  ZUPY_PROFILE         profile to use instead of "default" (--profile)
  ZUPY_BASE_URL        base URL of the API (--base-url); default
                       https://api.zupy.com/v1, staging https://api-staging.zupy.com/v1
  ZUPY_ALLOW_INSECURE_HTTP  1 or true lets the base URL be plain http to a
                       remote host (--allow-insecure-http); without it only
                       loopback and single-label hosts (a container's
                       service) may be reached over plain http
  ZUPY_API_KEY         API key used by ping, api and keys rotate --self: after
                       --key-id, before the profile's default key; with no
                       base URL set, its environment picks the API
  ZUPY_SESSION_TOKEN   session token used by the keys commands; it overrides
                       the profile's stored login
  ZUPY_CONFIG_DIR      configuration directory (default $XDG_CONFIG_HOME/zupy
                       or ~/.config/zupy); it and config.yaml must be yours
                       and not writable by others (a sticky folder like /tmp
                       is fine)
  ZUPY_DEBUG           any value but 0/false/no traces HTTP on stderr, secrets
                       redacted (--debug)
  ZUPY_PROMPT_DISABLED any value but 0/false: never prompt, even on a terminal
                       (a missing answer is then a usage error, exit 2)
  CI                   the same, as set by CI services (GitHub Actions,
                       GitLab CI…)
  NO_COLOR             any non-empty value turns colour off (--no-color)
  CLICOLOR_FORCE       a value other than 0 forces colour when stdout is not a
                       terminal
  XDG_CONFIG_HOME      base of the configuration directory
  XDG_DATA_HOME        base of the emulator's data directory

Secrets are never taken from flags: they come from these variables, the OS
keyring, a hidden prompt, or standard input.`,
		},
	}
}
