package shellcomp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/clitest"
)

// actAsProgram makes the test binary play a small cobra program (demoRoot)
// when this variable is set, so that the bash script can call it for
// `__complete` (see TestMain in main_test.go).
const actAsProgram = "SHELLCOMP_TEST_ACT_AS_PROGRAM"

// demoRoot is a tree whose --list flag completes comma-separated values the
// way zupy's --scopes does (the prefix up to the last comma is kept), plus a
// candidate holding braces and one holding a space.
func demoRoot() *cobra.Command {
	root := &cobra.Command{Use: "demo", SilenceErrors: true, SilenceUsage: true}
	root.CompletionOptions.DisableDefaultCmd = true
	create := &cobra.Command{Use: "create", Run: func(*cobra.Command, []string) {}}
	create.Flags().String("list", "", "")
	_ = create.RegisterFlagCompletionFunc("list", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		prefix := toComplete[:strings.LastIndex(toComplete, ",")+1]
		var out []string
		for _, v := range []string{"loyalty:read", "coupons:validate", "coupons:redeem", "odd{a,b}", "two words"} {
			if strings.HasPrefix(prefix+v, toComplete) {
				out = append(out, prefix+v+"\tdescription of "+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	root.AddCommand(create)
	return root
}

func TestPatchBashFixesEveryPercentQOfCobrasScript(t *testing.T) {
	var b bytes.Buffer
	if err := demoRoot().GenBashCompletionV2(&b, true); err != nil {
		t.Fatal(err)
	}
	script, err := PatchBash(b.String(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	// Every line of cobra's script that escapes with printf %q is followed
	// by an unescaping step: a new %q line after a cobra upgrade fails here.
	var sites int
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, `"%q`) {
			sites++
		}
	}
	fixes := strings.Count(script, "__demo_unescape_commas\n") + strings.Count(script, `//\\,/,}`) - 1
	if sites != 6 || fixes != sites {
		t.Errorf("%d lines escape with printf %%q, %d unescape after them; want 6 and 6", sites, fixes)
	}
	if !strings.Contains(script, "\n__demo_unescape_commas()\n{") {
		t.Error("the helper function is missing")
	}
}

func TestPatchBashRefusesAnUnknownScript(t *testing.T) {
	var b bytes.Buffer
	if err := demoRoot().GenBashCompletionV2(&b, true); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(b.String(), `printf -v comp "%q"`, `printf -v comp '%q'`, 1)
	if _, err := PatchBash(changed, "demo"); err == nil || !strings.Contains(err.Error(), "cobra's script has 0 (want 1)") {
		t.Errorf("PatchBash on a changed script: err = %v; want it to name the missing text", err)
	}
}

func TestWriteRefusesAnUnknownShell(t *testing.T) {
	if err := Write(demoRoot(), "tcsh", &bytes.Buffer{}); err == nil {
		t.Error("Write accepted tcsh")
	}
	for _, sh := range Shells {
		var b bytes.Buffer
		if err := Write(demoRoot(), sh, &b); err != nil || b.Len() == 0 {
			t.Errorf("Write %s: %v, %d bytes", sh, err, b.Len())
		}
	}
}

// complete runs the patched script in bash with the bash-completion package
// for the command line `line` (the cursor at its end) as <Tab> does
// (COMP_TYPE 9), and returns COMPREPLY, one entry a line.
func complete(t *testing.T, line string) []string {
	t.Helper()
	const lib = "/usr/share/bash-completion/bash_completion"
	clitest.RequireFile(t, lib, "bash-completion")
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(dir, "demo")); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(demoRoot(), "bash", &b); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "demo.bash")
	if err := os.WriteFile(script, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	driver := `source "$LIB"; source "$SCRIPT"
COMP_LINE=$LINE; COMP_POINT=${#LINE}; COMP_TYPE=9; COLUMNS=200
read -ra COMP_WORDS <<<"$LINE"; [[ $LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
__start_demo
printf '%s\n' "${COMPREPLY[@]}"`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--norc", "--noprofile", "-c", driver)
	cmd.Env = append(os.Environ(), "LIB="+lib, "SCRIPT="+script, "LINE="+line, actAsProgram+"=1",
		"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

func TestBashCompletesAValueAfterAComma(t *testing.T) {
	for _, c := range []struct {
		line string
		want []string
	}{
		// Candidates lose what precedes the last colon (bash splits the
		// word there) and carry no backslash before the comma.
		{"demo create --list loyalty:read,cou", []string{
			"read,coupons:validate  (description of coupons:validate)",
			"read,coupons:redeem    (description of coupons:redeem)",
		}},
		{"demo create --list loyalty:read,coupons:v", []string{"validate"}},
		// Two: listed with their descriptions.
		{"demo create --list loyalty:read,coupons:", []string{
			"validate  (description of coupons:validate)",
			"redeem    (description of coupons:redeem)",
		}},
		// The first value still completes.
		{"demo create --list coupons:r", []string{"redeem"}},
		// Braces stay escaped, so no brace expansion can come of a candidate;
		// spaces too.
		{"demo create --list loyalty:read,od", []string{`read,odd\{a,b\}`}},
		{"demo create --list tw", []string{`two\ words`}},
	} {
		got := complete(t, c.line)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s<Tab>: COMPREPLY = %q; want %q", c.line, got, c.want)
		}
	}
}
