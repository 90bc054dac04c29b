package cmdutil

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// ExactArgs requires exactly the named positional arguments; a wrong count
// is a usage error naming what is missing or extra.
func ExactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return WithHint(Usagef("missing %s", strings.Join(names[len(args):], " ")), "Usage: "+cmd.UseLine())
		case len(args) > len(names):
			if LooksSecret(args[len(names)]) {
				return SecretArgument(args[len(names)])
			}
			return WithHint(Usagef("unexpected argument %q", args[len(names)]), "Usage: "+cmd.UseLine())
		}
		return nil
	}
}

// LooksSecret reports whether an argument has the shape of a Zupy secret
// (an API key or a session token), which must never be echoed back.
func LooksSecret(arg string) bool {
	a := strings.TrimSpace(arg)
	for _, p := range []string{"zup_live_sk_", "zup_test_sk_", apikey.SessionPrefix} {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

// SecretArgument is the usage error of a secret given as a command-line
// argument: it shows the secret masked, says what it looks like, and that
// it is now in the shell's history.
func SecretArgument(arg string) error {
	return WithHint(Usagef("the argument %s looks like a secret, not an id: it is not shown and nothing was sent", apikey.Mask(strings.TrimSpace(arg))),
		"Key ids look like key_0123456789ab (see `zupy keys list`); a secret typed on a command line stays in the shell history, so rotate it if others can read that")
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error { return ExactArgs()(cmd, args) }

// GroupRun is the RunE of a command that only groups subcommands: without
// arguments it shows help; with an unknown one it is a usage error that
// suggests the closest subcommand.
func GroupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	hint := fmt.Sprintf("Run `%s --help` for the commands", cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("Did you mean `%s %s`?", cmd.CommandPath(), s[0])
	}
	return WithHint(Usagef("unknown command %q for %q", args[0], cmd.CommandPath()), hint)
}

// OneOf checks that a flag's value is one of allowed.
func OneOf(flag, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return Usagef("invalid --%s %q: must be %s", flag, value, strings.Join(allowed, ", "))
}

// AnnotationOutputs is the command annotation listing, comma-separated, the
// -o formats a command accepts when they are not just the global text and
// json (keys scan adds sarif).
const AnnotationOutputs = "zupy.outputs"
