package ui

import (
	"bytes"
	"encoding/json"
	"strings"
)

// PrettyJSON indents a JSON document and, when cs is enabled, colours it:
// keys accented, strings green, numbers, booleans and null yellow. A body
// that is not JSON comes back unchanged, with ok false.
func PrettyJSON(cs *ColorScheme, data []byte) (out []byte, ok bool) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(data), "", "  "); err != nil {
		return data, false
	}
	buf.WriteByte('\n')
	if !cs.Enabled() {
		return buf.Bytes(), true
	}
	return []byte(colorJSON(cs, buf.String())), true
}

// colorJSON styles the tokens of indented, valid JSON.
func colorJSON(cs *ColorScheme, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j++ // the closing quote
			tok := s[i:j]
			// A string followed by a colon is a key.
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k < len(s) && s[k] == ':' {
				b.WriteString(cs.Accent(tok))
			} else {
				b.WriteString(cs.Success(tok))
			}
			i = j
		case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(s) && !strings.ContainsRune(",]}\n ", rune(s[j])) {
				j++
			}
			b.WriteString(cs.Warning(s[i:j]))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
