package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestExactArgsNamesWhatIsMissingOrExtra(t *testing.T) {
	cmd := &cobra.Command{Use: "set KEY VALUE"}
	check := ExactArgs("KEY", "VALUE")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "missing KEY VALUE"},
		{[]string{"base_url"}, "missing VALUE"},
		{[]string{"base_url", "x", "extra"}, `unexpected argument "extra"`},
	} {
		err := check(cmd, c.args)
		var ue *UsageError
		if !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("ExactArgs(%q) = %v, want usage error %q", c.args, err, c.want)
			continue
		}
		if hintOf(err) != "Usage: set KEY VALUE" {
			t.Errorf("hint %q, want the usage line", hintOf(err))
		}
		if ExitCode(err) != ExitUsage {
			t.Errorf("exit %d, want 2", ExitCode(err))
		}
	}
	if err := check(cmd, []string{"a", "b"}); err != nil {
		t.Errorf("right count refused: %v", err)
	}
}

func TestNoArgsRefusesAnyArgument(t *testing.T) {
	cmd := &cobra.Command{Use: "status"}
	if err := NoArgs(cmd, nil); err != nil {
		t.Errorf("NoArgs(nil) = %v", err)
	}
	err := NoArgs(cmd, []string{"x", "y"})
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != `unexpected argument "x"` {
		t.Errorf("NoArgs(x y) = %v, want unexpected argument \"x\"", err)
	}
}

func groupTree() (*cobra.Command, *cobra.Command, *bytes.Buffer) {
	var out bytes.Buffer
	root := &cobra.Command{Use: "zupy", SilenceErrors: true, SilenceUsage: true}
	keys := &cobra.Command{Use: "keys", Short: "Manage keys", Args: cobra.ArbitraryArgs, RunE: GroupRun}
	for _, name := range []string{"create", "list", "rotate", "revoke"} {
		keys.AddCommand(&cobra.Command{Use: name, Short: name + " a key", RunE: func(*cobra.Command, []string) error { return nil }})
	}
	root.AddCommand(keys)
	root.SetOut(&out)
	root.SetErr(&out)
	return root, keys, &out
}

func TestGroupRunSuggestsClosestSubcommand(t *testing.T) {
	root, _, _ := groupTree()
	root.SetArgs([]string{"keys", "lsit"})
	err := root.Execute()
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UsageError", err)
	}
	if err.Error() != `unknown command "lsit" for "zupy keys"` {
		t.Errorf("message %q", err.Error())
	}
	if hintOf(err) != "Did you mean `zupy keys list`?" {
		t.Errorf("hint %q, want the suggestion of list", hintOf(err))
	}
}

func TestGroupRunWithoutSuggestionPointsToHelp(t *testing.T) {
	root, _, _ := groupTree()
	root.SetArgs([]string{"keys", "frobnicate"})
	err := root.Execute()
	var ue *UsageError
	if !errors.As(err, &ue) || hintOf(err) != "Run `zupy keys --help` for the commands" {
		t.Errorf("err = %v (hint %q), want the --help hint", err, hintOf(err))
	}
}

func TestGroupRunWithoutArgumentsShowsHelp(t *testing.T) {
	root, _, out := groupTree()
	root.SetArgs([]string{"keys"})
	if err := root.Execute(); err != nil {
		t.Fatalf("err = %v", err)
	}
	for _, sub := range []string{"create", "list", "rotate", "revoke"} {
		if !strings.Contains(out.String(), sub) {
			t.Errorf("help does not list %s:\n%s", sub, out.String())
		}
	}
}

func hintOf(err error) string {
	_, _, _, hint := Describe(err)
	return hint
}

func TestOneOf(t *testing.T) {
	if err := OneOf("output", "json", "text", "json"); err != nil {
		t.Errorf("allowed value refused: %v", err)
	}
	err := OneOf("output", "yaml", "text", "json")
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != `invalid --output "yaml": must be text, json` {
		t.Errorf("OneOf(yaml) = %v", err)
	}
	if OneOf("output", "JSON", "text", "json") == nil {
		t.Error("OneOf is case-insensitive; values are exact")
	}
}
