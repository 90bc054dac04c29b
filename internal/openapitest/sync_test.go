package openapitest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/zupy/zupy-cli/docs"
)

// The OpenAPI document and docs/api.md describe one contract: these tests
// fail when a route, a field, a query parameter or an error code is in one
// and not in the other, so neither can drift from the emulator (which the
// middleware holds to the document) without the other following.

// apiMD is docs/api.md.
func apiMD(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openapiRaw is docs/openapi.yaml as plain YAML values.
func openapiRaw(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(docs.OpenAPIYAML, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// documentRoutes are "METHOD /full/path" for every operation of the
// document: /v1 before the API's paths (its servers' base path), the
// /_emulator paths as they are.
func documentRoutes(doc map[string]any) []string {
	var out []string
	for p, item := range doc["paths"].(map[string]any) {
		full := p
		if !strings.HasPrefix(p, "/_emulator") {
			full = "/v1" + p
		}
		for m := range item.(map[string]any) {
			if slices.Contains(httpMethods, m) {
				out = append(out, strings.ToUpper(m)+" "+full)
			}
		}
	}
	sort.Strings(out)
	return out
}

var (
	// ### POST /auth/otp — …
	headingRoute = regexp.MustCompile("(?m)^### (GET|POST|PUT|PATCH|DELETE) (/\\S+)")
	// | `GET /_emulator/outbox[?destination=]` | … (a table row's first cell)
	tableRoute = regexp.MustCompile("(?m)^\\| `(GET|POST|PUT|PATCH|DELETE) (/[^`\\s\\[?]+)")
)

// apiMDRoutes are the routes docs/api.md documents: its "### METHOD /path"
// headings and the first cell of its route tables, the API's under /v1.
func apiMDRoutes(md string) []string {
	seen := map[string]bool{}
	for _, re := range []*regexp.Regexp{headingRoute, tableRoute} {
		for _, m := range re.FindAllStringSubmatch(md, -1) {
			// The document writes paths without a trailing slash
			// (GET /_emulator/ui/ is its GET /_emulator/ui).
			p := strings.TrimSuffix(m[2], "/")
			if !strings.HasPrefix(p, "/_emulator") {
				p = "/v1" + p
			}
			seen[m[1]+" "+p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// missing is what of want is not in have.
func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func TestRoutesAgreeWithAPIMD(t *testing.T) {
	md, doc := apiMDRoutes(apiMD(t)), documentRoutes(openapiRaw(t))
	if len(doc) < 30 || len(md) < 30 {
		t.Fatalf("found %d routes in docs/openapi.yaml and %d in docs/api.md: the extraction is broken", len(doc), len(md))
	}
	if m := missing(md, doc); len(m) > 0 {
		t.Errorf("routes of docs/api.md missing from docs/openapi.yaml:\n  %s", strings.Join(m, "\n  "))
	}
	if m := missing(doc, md); len(m) > 0 {
		t.Errorf("routes of docs/openapi.yaml missing from docs/api.md:\n  %s", strings.Join(m, "\n  "))
	}
}

// walk calls f on every mapping of v, depth first.
func walk(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, e := range v {
			walk(e, f)
		}
	case []any:
		for _, e := range v {
			walk(e, f)
		}
	}
}

// documentFields are the names of every property of every schema in the
// document, and documentParams those of its query parameters.
func documentFields(doc map[string]any) (fields, params []string) {
	f, p := map[string]bool{}, map[string]bool{}
	walk(doc, func(m map[string]any) {
		if props, ok := m["properties"].(map[string]any); ok {
			for name := range props {
				f[name] = true
			}
		}
		if m["in"] == "query" {
			if name, ok := m["name"].(string); ok {
				p[name] = true
			}
		}
	})
	return sortedKeys(f), sortedKeys(p)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	// A JSON member name as docs/api.md writes one: `{"name": …`,
	// `, "name"}` or `{"a","b"}` (the short form of its answers).
	mdField = regexp.MustCompile("[{,`]\\s*\"([a-z][a-z0-9_]*)\"\\s*[:,}]")
	// A query parameter: `?name=`, `&name=` or `|name=` (alternatives).
	mdParam = regexp.MustCompile("[?&|]([a-z][a-z0-9_]*)=")
	// A name in a code span, as the prose names fields: `retry_after`,
	// `window: "60s"`.
	mdCode = regexp.MustCompile("`([a-z][a-z0-9_]*)[`:]")
)

// allMatches is every first group of re in s, once.
func allMatches(re *regexp.Regexp, s string) []string {
	seen := map[string]bool{}
	// The patterns share their delimiters ("a","b"): find overlapping
	// matches by searching again from just after each name.
	for i := 0; i < len(s); {
		loc := re.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			break
		}
		seen[s[i+loc[2]:i+loc[3]]] = true
		i += loc[3]
	}
	return sortedKeys(seen)
}

func TestFieldsAgreeWithAPIMD(t *testing.T) {
	// The last section tells how the client reads other servers' bodies
	// (Zupy's own error shapes): not this contract's fields.
	text, _, ok := strings.Cut(apiMD(t), "\n## How the zupy client speaks this contract")
	if !ok {
		t.Fatal(`docs/api.md has no "## How the zupy client speaks this contract": update this test`)
	}
	fields, params := documentFields(openapiRaw(t))
	mdFields, mdParams := allMatches(mdField, text), allMatches(mdParam, text)
	named := append(append(allMatches(mdCode, text), mdFields...), mdParams...)
	if len(fields) < 50 || len(mdFields) < 50 {
		t.Fatalf("found %d fields in docs/openapi.yaml and %d in docs/api.md: the extraction is broken", len(fields), len(mdFields))
	}
	if m := missing(mdFields, fields); len(m) > 0 {
		t.Errorf("fields of docs/api.md's bodies missing from docs/openapi.yaml's schemas: %s", strings.Join(m, ", "))
	}
	if m := missing(fields, named); len(m) > 0 {
		t.Errorf("fields of docs/openapi.yaml that docs/api.md never names: %s", strings.Join(m, ", "))
	}
	if m := missing(mdParams, params); len(m) > 0 {
		t.Errorf("query parameters of docs/api.md missing from docs/openapi.yaml: %s", strings.Join(m, ", "))
	}
	if m := missing(params, named); len(m) > 0 {
		t.Errorf("query parameters of docs/openapi.yaml that docs/api.md never names: %s", strings.Join(m, ", "))
	}
}

var (
	// `INVALID_API_KEY`: a details.error_code (ZUPY_* are environment
	// variables).
	mdDetailCode = regexp.MustCompile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`")
	// | 401 | `authentication_failed` | …: the error table's `error`.
	mdErrorCode = regexp.MustCompile("(?m)^\\| [1-5][0-9][0-9] \\| `([a-z_]+)`")
)

// enum is the enum of components.schemas[name].
func enum(t *testing.T, doc map[string]any, name string) []string {
	t.Helper()
	s, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	var out []string
	for _, v := range s["enum"].([]any) {
		out = append(out, v.(string))
	}
	sort.Strings(out)
	return out
}

func TestErrorCodesAgreeWithAPIMD(t *testing.T) {
	text, doc := apiMD(t), openapiRaw(t)
	var mdCodes []string
	for _, c := range allMatches(mdDetailCode, text) {
		if !strings.HasPrefix(c, "ZUPY_") {
			mdCodes = append(mdCodes, c)
		}
	}
	docCodes := enum(t, doc, "ErrorDetailCode")
	if m := missing(mdCodes, docCodes); len(m) > 0 {
		t.Errorf("details.error_code values of docs/api.md missing from ErrorDetailCode: %s", strings.Join(m, ", "))
	}
	if m := missing(docCodes, mdCodes); len(m) > 0 {
		t.Errorf("ErrorDetailCode values docs/api.md never names: %s", strings.Join(m, ", "))
	}
	mdErrors, docErrors := allMatches(mdErrorCode, text), enum(t, doc, "ErrorCode")
	if m := missing(mdErrors, docErrors); len(m) > 0 {
		t.Errorf("error codes of docs/api.md's error table missing from ErrorCode: %s", strings.Join(m, ", "))
	}
	if m := missing(docErrors, mdErrors); len(m) > 0 {
		t.Errorf("ErrorCode values missing from docs/api.md's error table: %s", strings.Join(m, ", "))
	}
}

// TestSchemasAreClosed: every object schema that lists properties refuses
// others (additionalProperties: false), so an answer with a renamed or an
// extra field breaks the contract rather than passing unnoticed. The
// overlays of allOf (properties of a closed base, narrowed) are exempt.
func TestSchemasAreClosed(t *testing.T) {
	doc := openapiRaw(t)
	var open []string
	var visit func(path string, v any, overlay bool)
	visit = func(path string, v any, overlay bool) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok && !overlay {
				if v["additionalProperties"] != false {
					open = append(open, path)
				}
				for name, p := range props {
					visit(path+"/properties/"+name, p, false)
				}
			}
			for k, e := range v {
				switch k {
				case "properties":
				case "allOf":
					for i, part := range e.([]any) {
						_, isRef := part.(map[string]any)["$ref"]
						visit(path+"/allOf/"+strconv.Itoa(i), part, !isRef)
					}
				default:
					visit(path+"/"+k, e, overlay && k != "items")
				}
			}
		case []any:
			for i, e := range v {
				visit(path+"/"+strconv.Itoa(i), e, overlay)
			}
		}
	}
	visit("#", doc, false)
	sort.Strings(open)
	if len(open) > 0 {
		t.Errorf("object schemas without additionalProperties: false:\n  %s", strings.Join(open, "\n  "))
	}
}
