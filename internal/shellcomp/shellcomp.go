// Package shellcomp writes zupy's shell completion scripts: cobra's
// generators, with the bash script patched so that a candidate holding a
// comma (a scope list such as loyalty:read,coupons:validate) can match.
//
// Both `zupy completion SHELL` and the generated completions/ directory come
// from here, so what a user installs either way is the same script.
package shellcomp

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Shells are the shells Write knows, in the order the help lists them.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// Write writes the completion script for shell, with descriptions, for the
// tree under root.
func Write(root *cobra.Command, shell string, w io.Writer) error {
	switch shell {
	case "bash":
		var b bytes.Buffer
		if err := root.GenBashCompletionV2(&b, true); err != nil {
			return err
		}
		script, err := PatchBash(b.String(), root.Name())
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, script)
		return err
	case "zsh":
		return root.GenZshCompletion(w)
	case "fish":
		return root.GenFishCompletion(w, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(w)
	}
	return fmt.Errorf("unsupported shell %q", shell)
}

// unescapeCommas is the bash helper PatchBash adds. bash's printf %q writes
// a comma as "\,", but a comma needs no quoting on a command line (brace
// expansion needs braces, which %q still escapes). Cobra's script compares
// the %q form of each candidate with the word typed, so without this
// `--scopes loyalty:read,cou<Tab>` finds nothing.
const unescapeCommas = `
# zupy: printf %%q escapes commas, which a word typed on the command line
# does not carry (loyalty:read,cou); undo that so scope lists match. Braces
# stay escaped, so no brace expansion can come of it.
__%[1]s_unescape_commas()
{
    local i
    for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]//\\,/,}; done
}
`

// bashEdit is one textual change to cobra's bash script: old must occur
// exactly count times.
type bashEdit struct {
	old, new string
	count    int
}

// bashEdits lists every place cobra v1.10's bash script escapes a
// candidate with printf %q and then compares or inserts it.
var bashEdits = []bashEdit{
	// The candidate compared with what was typed, when candidates have
	// descriptions (the scope lists do).
	{
		old:   `printf -v comp "%q" "${compline%%$tab*}" &>/dev/null || comp=$(printf "%q" "${compline%%$tab*}")` + "\n",
		new:   `printf -v comp "%q" "${compline%%$tab*}" &>/dev/null || comp=$(printf "%q" "${compline%%$tab*}")` + "\n" + `        comp=${comp//\\,/,}` + "\n",
		count: 1,
	},
	// The candidate lists given to compgen (no descriptions, and
	// menu-complete): the same unescaping before matching.
	{
		old:   `        IFS=$'\n' read -ra completions -d '' < <(printf "%q\n" "${completions[@]%%$tab*}")` + "\n",
		new:   `        IFS=$'\n' read -ra completions -d '' < <(printf "%q\n" "${completions[@]%%$tab*}")` + "\n" + `        completions=("${completions[@]//\\,/,}")` + "\n",
		count: 1,
	},
	{
		old:   `        IFS=$'\n' read -ra completions -d '' < <(printf "%q\n" "${completions[@]}")` + "\n",
		new:   `        IFS=$'\n' read -ra completions -d '' < <(printf "%q\n" "${completions[@]}")` + "\n" + `        completions=("${completions[@]//\\,/,}")` + "\n",
		count: 1,
	},
	// A single candidate inserted on the command line, with descriptions...
	{
		old:   `        COMPREPLY[0]=$(printf "%q" "${COMPREPLY[0]%%$tab*}")` + "\n",
		new:   `        COMPREPLY[0]=$(printf "%q" "${COMPREPLY[0]%%$tab*}")` + "\n" + `        __%[1]s_unescape_commas` + "\n",
		count: 1,
	},
	// ...and without.
	{
		old:   `            COMPREPLY[0]=$(printf "%q" "${COMPREPLY[0]}")` + "\n",
		new:   `            COMPREPLY[0]=$(printf "%q" "${COMPREPLY[0]}")` + "\n" + `            __%[1]s_unescape_commas` + "\n",
		count: 1,
	},
	// Menu-complete inserts every candidate, re-escaped.
	{
		old:   `        IFS=$'\n' read -ra COMPREPLY -d '' < <(printf "%q\n" "${COMPREPLY[@]}")` + "\n",
		new:   `        IFS=$'\n' read -ra COMPREPLY -d '' < <(printf "%q\n" "${COMPREPLY[@]}")` + "\n" + `        __%[1]s_unescape_commas` + "\n",
		count: 1,
	},
}

// PatchBash applies the comma fix to a script from cobra's
// GenBashCompletionV2 for the program name. It fails, rather than writing a
// script that silently lacks the fix, when cobra's script no longer has the
// shape the edits expect (after a cobra upgrade): then read the new script
// and update bashEdits.
func PatchBash(script, name string) (string, error) {
	for _, e := range bashEdits {
		if n := strings.Count(script, e.old); n != e.count {
			return "", fmt.Errorf("bash completion patch: cobra's script has %d (want %d) of %q", n, e.count, e.old)
		}
		script = strings.ReplaceAll(script, e.old, strings.ReplaceAll(e.new, "%[1]s", name))
	}
	anchor := "\n__" + name + "_handle_completion_types() {"
	if strings.Count(script, anchor) != 1 {
		return "", fmt.Errorf("bash completion patch: cobra's script lacks %q", anchor)
	}
	helper := fmt.Sprintf(unescapeCommas, name)
	return strings.Replace(script, anchor, helper+anchor, 1), nil
}
