package ui

import (
	"encoding/json"
	"io"
)

// WriteJSON writes v as one indented JSON document followed by a newline.
// HTML characters are not escaped, so names print as given.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
