package ui

import (
	"bytes"
	"encoding/json"
	"io"
)

// WriteJSON writes v as one indented JSON document followed by a newline.
// HTML characters are not escaped, so names print as given; the controls a
// terminal would act on are (EscapeJSON), so a server's string cannot draw
// through `-o json` either.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(EscapeJSON(buf.Bytes()))
	return err
}
