package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
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
		return validation(typeErr.Field, "must be a "+jsonType(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return validation(field, "is not a known field")
	}
	return validation("body", "is not valid JSON")
}

// checkKeys refuses a top-level key of the JSON object in body that is not
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
		case i < 0:
			return validation(key, "is not a known field")
		case seen&(1<<i) != 0:
			return validation(key, "is given more than once")
		}
		seen |= 1 << i
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
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

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return kind
}
