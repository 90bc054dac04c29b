package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// field is one -f or -F, its value typed.
type field struct {
	key   string
	value any
}

// fields parses -f (strings) then -F (typed) in gh api's conventions.
func (o *APIOptions) fields(ctx context.Context) ([]field, error) {
	var out []field
	for _, f := range o.RawFields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, cmdutil.Usagef("invalid -f %q: use key=value", f)
		}
		out = append(out, field{k, v})
	}
	for _, f := range o.TypedFields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, cmdutil.Usagef("invalid -F %q: use key=value", f)
		}
		tv, err := o.typed(ctx, k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, field{k, tv})
	}
	for _, f := range out {
		if _, err := parseKey(f.key); err != nil {
			return nil, err
		}
		// JSON would replace invalid bytes with U+FFFD: send nothing rather
		// than something else than was typed.
		if !utf8.ValidString(f.key) {
			return nil, cmdutil.Usagef("invalid field name %q: not UTF-8 text", f.key)
		}
		if s, ok := f.value.(string); ok && !utf8.ValidString(s) {
			return nil, cmdutil.Usagef("field %q: the value is not UTF-8 text", f.key)
		}
	}
	return out, nil
}

// typed is the value of -F: true, false and null as JSON values, integers
// and decimals as numbers, @file and @- as the contents of a file or
// standard input, anything else a string.
func (o *APIOptions) typed(ctx context.Context, key, v string) (any, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if name, ok := strings.CutPrefix(v, "@"); ok {
		var data []byte
		var err error
		if name == "-" {
			data, err = cmdutil.ReadAll(ctx, o.IO.In, cmdutil.MaxRequestBody)
		} else {
			data, err = o.ReadFile(ctx, name, cmdutil.MaxRequestBody)
		}
		if err != nil {
			return nil, tooLarge(fmt.Sprintf("-F %s=@%s", key, name), err)
		}
		return string(data), nil
	}
	if v != "" && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') && strings.TrimSpace(v) == v && json.Valid([]byte(v)) {
		return json.Number(v), nil // a JSON number as written
	}
	// Numbers JSON spells otherwise (+1, 01, .5, 5.) are sent as JSON
	// spells them: json.Number("5.") would fail to encode.
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return json.Number(strconv.FormatInt(n, 10)), nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpPnNiI_") {
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil // not Inf, NaN or hex
	}
	return v, nil
}

// parseKey splits "a[b][]" into ["a", "b", ""]; "" appends to an array and
// may only come last.
func parseKey(key string) ([]string, error) {
	base, rest, _ := strings.Cut(key, "[")
	if base == "" {
		return nil, cmdutil.Usagef("invalid field name %q", key)
	}
	segs := []string{base}
	if rest == "" && !strings.Contains(key, "[") {
		return segs, nil
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, cmdutil.Usagef("invalid field name %q: use key, key[] or key[name]", key)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, cmdutil.Usagef("invalid field name %q: unclosed [", key)
		}
		segs = append(segs, rest[1:end])
		rest = rest[end+1:]
	}
	for i, s := range segs[1:] {
		if s == "" && i != len(segs)-2 {
			return nil, cmdutil.Usagef("invalid field name %q: [] may only come last", key)
		}
	}
	return segs, nil
}

// encodeBody builds the JSON object of the fields: key[]=v appends to an
// array, key[sub]=v sets a member of an object.
func encodeBody(fields []field) ([]byte, error) {
	root := map[string]any{}
	for _, f := range fields {
		segs, _ := parseKey(f.key)
		if err := set(root, segs, f.value, f.key); err != nil {
			return nil, err
		}
	}
	return json.Marshal(root)
}

func set(m map[string]any, segs []string, v any, key string) error {
	name := segs[0]
	switch {
	case len(segs) == 1:
		if _, exists := m[name]; exists {
			return cmdutil.Usagef("field %q given twice (use %s[]=… for an array)", key, name)
		}
		m[name] = v
		return nil
	case len(segs) == 2 && segs[1] == "":
		arr, ok := m[name].([]any)
		if !ok && m[name] != nil {
			return cmdutil.Usagef("field %q: %s is not an array", key, name)
		}
		m[name] = append(arr, v)
		return nil
	}
	child, ok := m[name].(map[string]any)
	if !ok {
		if m[name] != nil {
			return cmdutil.Usagef("field %q: %s is not an object", key, name)
		}
		child = map[string]any{}
		m[name] = child
	}
	return set(child, segs[1:], v, key)
}

// encodeQuery puts the fields in a query string, in order; key[]=v repeats
// key.
func encodeQuery(fields []field) string {
	var parts []string
	for _, f := range fields {
		k := strings.TrimSuffix(f.key, "[]")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(fmt.Sprint(valueString(f.value))))
	}
	return strings.Join(parts, "&")
}

func valueString(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
