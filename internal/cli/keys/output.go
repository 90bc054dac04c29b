package keys

import (
	"fmt"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/ui"
)

// newKeyOutput is how a key with its secret is printed after create or
// rotate (docs/cli/zupy_keys_create.md): -o json the whole object with api_key; on a terminal a
// card; otherwise the secret alone on stdout, so that
// `export ZUPY_API_KEY=$(zupy keys create …)` works, and a summary on stderr.
type newKeyOutput struct {
	Title   string // card title: "Created API key"
	Verb    string // summary verb: "Created"
	Key     *api.Key
	Default bool
	Notes   []string // extra lines: where it was saved
}

func (o newKeyOutput) print(io *ui.IOStreams, asJSON bool, now time.Time) error {
	if asJSON {
		if err := ui.WriteJSON(io.Out, o.Key); err != nil {
			return err
		}
		// The job log still gets the one-line summary docs/ci.md
		// describes (never the secret): stdout is the document.
		o.printSummary(io, now)
		return nil
	}
	if io.IsStdoutTTY() {
		card := secretCard{Title: o.Title, Key: o.Key, Now: now, Default: o.Default, Previous: o.Key.PreviousKey, Notes: o.Notes,
			Width: io.KnownTerminalWidth()}
		_, err := fmt.Fprint(io.Out, card.render(io.ColorScheme()))
		return err
	}
	// The secret alone, for $(…): the server's bytes, not to be altered
	// (apikey.Parse refuses anything but the key alphabet before it is used).
	if _, err := fmt.Fprintln(io.Out, o.Key.APIKey); err != nil {
		return err
	}
	o.printSummary(io, now)
	return nil
}

// printSummary writes on stderr the key's one-line summary, its
// predecessor's, and the notes.
func (o newKeyOutput) printSummary(io *ui.IOStreams, now time.Time) {
	fmt.Fprintln(io.ErrOut, ui.SingleLine(summary(o.Verb, o.Key)))
	if p := o.Key.PreviousKey; p != nil {
		fmt.Fprintln(io.ErrOut, ui.SingleLine("Previous key "+previousSummary(p, now)))
	}
	for _, n := range o.Notes {
		fmt.Fprintln(io.ErrOut, ui.SingleLine(n))
	}
}

// savedNote is the line saying where a secret was saved.
func savedNote(keyID, where string, isDefault bool) string {
	s := fmt.Sprintf("Saved %s in %s", keyID, where)
	if isDefault {
		s += " as the profile's default key"
	}
	return s
}
