package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxBodyBytes bounds request bodies.
const maxBodyBytes = 1 << 20

// decodeJSON reads one JSON object into v, a pointer to a struct. An empty
// body is an empty object. Unknown fields, wrong types and malformed JSON are
// 400 validation errors naming the field (or "body"), and so are a key given
// twice and a key that is not exactly a field's JSON name: encoding/json
// alone lets the last duplicate win and matches names case-insensitively, so
// {"permissions":…,"PERMISSIONS":…} would apply what a reader of the body
// does not see.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			return validation("body", "is larger than 1 MiB")
		}
		return validation("body", "is not valid JSON")
	}
	if err := checkKeys(body, jsonFieldNames(reflect.TypeOf(v))); err != nil {
		return err
	}
	if !validText(body) { // a key's value is named by checkKeys; this is the rest
		return validation("body", "must be valid UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		if dec.More() {
			return validation("body", "must be a single JSON object")
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return validation(typeErr.Field, "must be "+jsonType(typeErr.Type.Kind()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation(field, "is not a known field")
	}
	return validation("body", "is not valid JSON")
}

// checkKeys refuses a top-level key of the JSON object in body whose value
// is not valid text (see validText), and of the JSON object in body that is not
// exactly one of names, or that appears twice. Anything that is not an
// object, or not valid JSON, is left to the decoder to report.
func checkKeys(body []byte, names []string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var seen uint64          // bit i: names[i] was given
	var skip json.RawMessage // reused: each value is decoded into the same buffer
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		i := slices.Index(names, key)
		switch {
		case i < 0 && !fieldLike(key):
			return validation("body", "has a key that is not a field name")
		case i < 0:
			return validation(key, "is not a known field")
		case seen&(1<<i) != 0:
			return validation(key, "is given more than once")
		}
		seen |= 1 << i
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
		if !validText(skip) {
			return validation(key, "must be valid UTF-8 text")
		}
	}
	return nil
}

// fieldLike reports whether an unknown key can be named in a message as the
// field: not empty (": is not a known field" names nothing), short, and of
// letters, digits and "_" (no line break or control character in a message).
func fieldLike(key string) bool {
	if key == "" || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// fieldNames caches jsonFieldNames by type.
var fieldNames sync.Map // reflect.Type → []string

// jsonFieldNames lists the JSON names of the fields of the struct t points
// to, as encoding/json would name them (tag name, else the Go name; "-"
// skipped; untagged embedded structs flattened). A body type has at most 64
// fields, one bit each in checkKeys.
func jsonFieldNames(t reflect.Type) []string {
	if names, ok := fieldNames.Load(t); ok {
		return names.([]string)
	}
	var names []string
	var walk func(reflect.Type)
	walk = func(st reflect.Type) {
		for f := range st.Fields() {
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			switch {
			case tag == "-":
			case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
				walk(f.Type)
			case !f.IsExported():
			case name == "":
				names = append(names, f.Name)
			default:
				names = append(names, name)
			}
		}
	}
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic("decodeJSON: " + t.String() + " is not a pointer to a struct")
	}
	walk(t.Elem())
	if len(names) > 64 {
		panic("decodeJSON: " + t.String() + " has more than 64 fields")
	}
	fieldNames.Store(t, names)
	return names
}

// jsonType names the JSON type of a Go kind, with its article. An integer
// field says so: 100.0 and 1e2 are numbers, but not integers.
func jsonType(kind reflect.Kind) string {
	switch kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return "a " + kind.String()
}

// validText reports whether raw JSON is valid UTF-8 with no lone surrogate
// escape ("\ud800" not followed by a low surrogate, or a low one alone):
// encoding/json would store either as U+FFFD, changing what was sent.
func validText(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 < len(raw) && raw[i+1] != 'u' {
			i++ // an escaped character, maybe a backslash: skip it
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			continue // malformed: the decoder reports it
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return false
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return false
			}
			lo, ok := hex4(raw, i+8)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 11
		default:
			i += 5
		}
	}
	return true
}

// hex4 is the value of the four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// parseQuery parses the query string of r. A malformed one (a bad
// %-escape, a ';' separator) is a 400 naming the parameter, when it is one
// of known (the route's), else "query": net/url alone drops the pair, so
// "?permission=customer:write;x" would silently ask for nothing.
func parseQuery(r *http.Request, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err == nil {
		return q, nil
	}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, kerr := url.QueryUnescape(k)
		if _, verr := url.QueryUnescape(v); kerr == nil && verr == nil && !strings.Contains(pair, ";") {
			continue
		}
		if kerr != nil || !slices.Contains(known, name) {
			name = "query"
		}
		return nil, validation(name, "is malformed in the query string (a bad %-escape or a ';')")
	}
	return nil, validation("query", "is malformed")
}
