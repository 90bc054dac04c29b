package completion

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// run executes `zupy <args>` with the completion command under a small root,
// since the cobra generators describe the whole tree from cmd.Root().
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	f, out, errOut := clitest.Factory(nil, "")
	root := clitest.Root(f, NewCmdCompletion(f, nil), &cobra.Command{Use: "scopes", Short: "List scopes", Run: func(*cobra.Command, []string) {}})
	root.SetArgs(args)
	err := root.Execute()
	if errOut.Len() > 0 {
		t.Errorf("zupy %s wrote to stderr: %q", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
}

func TestEachShellGetsItsOwnScriptForTheRoot(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_zupy",
		"zsh":        "#compdef zupy",
		"fish":       "complete -c zupy",
		"powershell": "Register-ArgumentCompleter",
	} {
		out, err := run(t, "completion", shell)
		if err != nil {
			t.Errorf("completion %s: %v", shell, err)
			continue
		}
		if !strings.Contains(out, marker) {
			t.Errorf("completion %s lacks %q:\n%.300s", shell, marker, out)
		}
		for other, m := range map[string]string{"bash": "__start_zupy", "zsh": "#compdef", "powershell": "Register-ArgumentCompleter"} {
			if other != shell && strings.Contains(out, m) {
				t.Errorf("completion %s contains the %s marker %q", shell, other, m)
			}
		}
	}
}

func TestBashAndFishScriptsCarryDescriptions(t *testing.T) {
	// GenBashCompletionV2 and GenFishCompletion are asked for descriptions;
	// without them the __complete requests of the script omit them.
	for _, shell := range []string{"bash", "fish"} {
		out, err := run(t, "completion", shell)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "__complete") || strings.Contains(out, "__completeNoDesc") {
			t.Errorf("completion %s asks for completions without descriptions", shell)
		}
	}
}

func TestUnknownOrMissingShellIsAUsageError(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"completion", "tcsh"}, `unsupported shell "tcsh": must be bash, zsh, fish or powershell`},
		{[]string{"completion", "Bash"}, `unsupported shell "Bash"`},
		{[]string{"completion"}, "missing SHELL"},
		{[]string{"completion", "bash", "zsh"}, `unexpected argument "zsh"`},
	} {
		out, err := run(t, c.args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage || err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: exit %d, err %v; want exit 2 with %q", c.args, cmdutil.ExitCode(err), err, c.msg)
		}
		if out != "" {
			t.Errorf("%q printed a script after refusing: %.100q", c.args, out)
		}
	}
}

func TestValidArgsAreTheFourShells(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	cmd := NewCmdCompletion(f, nil)
	if got := strings.Join(cmd.ValidArgs, " "); got != "bash zsh fish powershell" {
		t.Errorf("ValidArgs = %q", got)
	}
}

func TestHelpExplainsHowToInstallForEveryShell(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	long := NewCmdCompletion(f, nil).Long
	for _, line := range []string{
		`echo 'eval "$(zupy completion bash)"' >> ~/.bashrc`,
		`zupy completion zsh > "${fpath[1]}/_zupy"`,
		`zupy completion fish > ~/.config/fish/completions/zupy.fish`,
		`zupy completion powershell | Out-String | Invoke-Expression`,
	} {
		if !strings.Contains(long, "\n  "+line+"\n") {
			t.Errorf("completion help lacks the install line %q", line)
		}
	}
}

func TestNewCmdCompletionParsesTheShell(t *testing.T) {
	for _, c := range []struct {
		args    []string
		shell   string
		wantErr string
	}{
		{[]string{"completion", "zsh"}, "zsh", ""},
		{[]string{"completion", "powershell"}, "powershell", ""},
		{[]string{"completion", "tcsh"}, "", `unsupported shell "tcsh": must be bash, zsh, fish or powershell`},
		{[]string{"completion"}, "", "missing SHELL"},
	} {
		f, _, _ := clitest.Factory(nil, "")
		var got *CompletionOptions
		cmd := NewCmdCompletion(f, func(o *CompletionOptions) error { got = o; return nil })
		err := clitest.Run(context.Background(), f, cmd, c.args...)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr || cmdutil.ExitCode(err) != cmdutil.ExitUsage || got != nil {
				t.Errorf("%v: err %v; want usage error %q before the run", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.Shell != c.shell || got.Root == nil || got.Root.Name() != "zupy" {
			t.Errorf("%v: err %v, options %+v", c.args, err, got)
		}
	}
}
