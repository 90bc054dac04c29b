package root_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// walk calls fn for every command of the tree under c.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// TestEveryFlagNamesItsValue pins how help shows a flag's value: a name in
// capitals (--scopes SCOPES), never pflag's Go type (stringArray, int) nor
// words a backquote in the usage happened to pick (--scopes zupy scopes).
func TestEveryFlagNamesItsValue(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	valueName := regexp.MustCompile(`^[A-Z][A-Z0-9_:=]*$`)
	walk(root.New(f), func(c *cobra.Command) {
		check := func(fl *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(fl)
			if fl.Value.Type() == "bool" || fl.Hidden {
				return
			}
			if !valueName.MatchString(name) {
				t.Errorf("%s --%s shows its value as %q in help, want a name like SCOPES", c.CommandPath(), fl.Name, name)
			}
		}
		c.LocalFlags().VisitAll(check)
	})
}

// TestHelpMentionsOnlyCommandsThatExist reads every help text (long
// description, examples, flag usages) for "zupy WORD…" and checks that the
// words name a command of the tree.
func TestHelpMentionsOnlyCommandsThatExist(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	tree := root.New(f)
	tree.InitDefaultHelpCmd()
	// Commands are named in backquotes or double quotes in prose, and on
	// the lines of examples (comments left out).
	quoted := regexp.MustCompile("[`\"]zupy((?: [a-z][a-z-]*)+)")
	example := regexp.MustCompile(`(?:^|\$\(|\| )zupy((?: [a-z][a-z-]*)+)`)
	walk(tree, func(c *cobra.Command) {
		texts := []string{c.Long}
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) { texts = append(texts, fl.Usage) })
		var found [][]string
		for _, text := range texts {
			found = append(found, quoted.FindAllStringSubmatch(text, -1)...)
		}
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "#") {
				continue
			}
			found = append(found, example.FindAllStringSubmatch(line, -1)...)
		}
		{
			for _, m := range found {
				words := strings.Fields(m[1])
				target, rest, err := tree.Find(words)
				if err != nil || target == tree {
					t.Errorf("%s help mentions `zupy %s`, which is no command", c.CommandPath(), m[1][1:])
					continue
				}
				// A command that takes no arguments followed by a word that
				// is no subcommand: "zupy keys frobnicate".
				if len(rest) > 0 && target.HasSubCommands() {
					t.Errorf("%s help mentions `zupy %s`: %q is no subcommand of %s", c.CommandPath(), m[1][1:], rest[0], target.CommandPath())
				}
			}
		}
	})
}
