// Package openapitest checks, inside the tests, that the emulator keeps the
// contract of docs/openapi.yaml: Middleware wraps an emulator's handler and
// validates every request and answer against the document with
// github.com/pb33f/libopenapi-validator. Why this validator and not
// kin-openapi (docs/architecture.md "Tests"): it reads OpenAPI 3.1 natively
// and compiles schemas with a JSON Schema 2020-12 validator, which the
// document relies on (type arrays for null, const, objects closed through
// allOf), while kin-openapi was built for 3.0 and its 3.1 support is recent.
// Only tests import it (directly, or through internal/clitest), so the
// validator is never linked into cmd/zupy.
//
// What is checked, per exchange:
//   - every answer: its status is one the operation documents, its body
//     matches that status's schema, its required headers (the X-RateLimit-*
//     headers, Retry-After, WWW-Authenticate) are present and well formed;
//     an answer to a route the document does not have must be the 404 or 405
//     error body;
//   - the request, when the emulator accepted it (an answer below 400):
//     parameters and body against the operation. A request refused with a
//     4xx was bad, which is what such a test sends on purpose; its answer is
//     still checked. A test that sends a request outside the contract which
//     the emulator nonetheless accepts (it is lenient where the document is
//     strict) marks it with the header ExpectInvalid, which the middleware
//     strips before the emulator sees it.
package openapitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/zupy/zupy-cli/docs"
)

// ExpectInvalid is the request header that marks a request a test sends
// outside the contract on purpose, and that the emulator accepts anyway:
// its request is not validated (its answer is). The middleware removes it.
const ExpectInvalid = "X-Zupy-Test-Expect-Invalid"

// contract is docs/openapi.yaml, parsed once per process.
type contract struct {
	model     *v3.Document
	validator validator.Validator
	schemas   schema_validation.SchemaValidator
	opts      *config.ValidationOptions
	// mu serialises validations: the validator's caches are built for
	// concurrent use, but one at a time keeps the reports in order and
	// costs nothing next to a test's own work.
	mu sync.Mutex
}

var (
	loadOnce sync.Once
	loaded   *contract
	loadErr  error
)

// load parses docs/openapi.yaml and builds its validator, once.
func load() (*contract, error) {
	loadOnce.Do(func() {
		doc, err := libopenapi.NewDocument(docs.OpenAPIYAML)
		if err != nil {
			loadErr = fmt.Errorf("docs/openapi.yaml: %w", err)
			return
		}
		m, err := doc.BuildV3Model()
		if err != nil {
			loadErr = fmt.Errorf("docs/openapi.yaml: %w", err)
			return
		}
		opts := []config.Option{config.WithFormatAssertions()}
		v, errs := validator.NewValidator(doc, opts...)
		if len(errs) > 0 {
			loadErr = fmt.Errorf("docs/openapi.yaml: %v", errs)
			return
		}
		loaded = &contract{model: &m.Model, validator: v, schemas: schema_validation.NewSchemaValidator(opts...),
			opts: config.NewValidationOptions(opts...)}
	})
	return loaded, loadErr
}

// Load parses docs/openapi.yaml (once per process) and reports whether it
// is a document the validator can use.
func Load() error {
	_, err := load()
	return err
}

// Middleware wraps h, an emulator's handler: every exchange that breaks
// docs/openapi.yaml is reported to violation (from the server's
// goroutine), with the method, path, status and the validator's reasons.
// The answer itself reaches the client unchanged.
func Middleware(h http.Handler, violation func(string)) http.Handler {
	c, err := load()
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			violation(err.Error())
			h.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		marked := r.Header.Get(ExpectInvalid) != ""
		r.Header.Del(ExpectInvalid)
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = io.ReadAll(r.Body)
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		// The request as the client sent it, for the validator: the
		// handler may consume or alter r.
		sent := r.Clone(r.Context())
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/event-stream") {
			return // a stream has no end to validate; its status was documented when it began
		}
		if problems := c.check(sent, reqBody, rec, marked); len(problems) > 0 {
			violation(redact(fmt.Sprintf("docs/openapi.yaml: %s %s → %d:\n  %s\n  answer: %s", sent.Method, sent.URL.RequestURI(), rec.status,
				strings.Join(problems, "\n  "), clip(rec.body.Bytes()))))
		}
	})
}

// check validates one exchange and returns what is wrong with it.
func (c *contract) check(r *http.Request, reqBody []byte, rec *recorder, marked bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := &http.Response{StatusCode: rec.status, Header: rec.Header().Clone(), Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), Request: r}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	if r.Method == http.MethodHead {
		// net/http answers HEAD with the GET route, without a body.
		req.Method = http.MethodGet
		if rec.status < 400 {
			return nil
		}
	}
	if req.URL.Path == "/_emulator/ui/" {
		// The document writes the dashboard's route without the slash
		// (paths in OpenAPI have none); the emulator serves both.
		req.URL.Path = "/_emulator/ui"
	}
	if !c.documented(req) {
		return c.checkUnrouted(rec)
	}
	var problems []string
	if ok, errs := c.validator.ValidateHttpResponse(req, res); !ok {
		problems = append(problems, describe("answer", errs)...)
	}
	if rec.status < 400 && !marked {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := c.validator.ValidateHttpRequest(req); !ok {
			problems = append(problems, describe("request", errs)...)
		}
	}
	return problems
}

// documented reports whether the document has an operation for r: under
// /v1 (the servers' base path) or /_emulator, with a path and method it
// lists. A path outside both (a client that forgot /v1) is not the API's.
func (c *contract) documented(r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/v1/") && !strings.HasPrefix(p, "/_emulator/") && p != "/_emulator/ui" {
		return false
	}
	// A path not in its clean form (//, /./, /../) is no route, whatever
	// the validator's matcher makes of it (docs/api.md "Errors": 404).
	if clean := path.Clean(p); clean != p && clean+"/" != p {
		return false
	}
	item, errs, _ := paths.FindPath(r, c.model, c.opts)
	return item != nil && len(errs) == 0
}

// checkUnrouted validates the answer to a route the document does not
// have: the 404 or 405 error of docs/api.md, nothing else.
func (c *contract) checkUnrouted(rec *recorder) []string {
	name := map[int]string{http.StatusNotFound: "RouteNotFoundError", http.StatusMethodNotAllowed: "MethodNotAllowedError",
		http.StatusForbidden: "GuardError", http.StatusUnauthorized: "DuplicateAuthorizationError"}[rec.status]
	if name == "" {
		return []string{fmt.Sprintf("the route is not in the document, yet the emulator answered %d (want 404 or 405)", rec.status)}
	}
	schema := c.schema(name)
	if schema == nil {
		return []string{"components/schemas/" + name + " is missing"}
	}
	if ok, errs := c.schemas.ValidateSchemaBytes(schema, rec.body.Bytes()); !ok {
		return describe("answer (components/schemas/"+name+")", errs)
	}
	return nil
}

func (c *contract) schema(name string) *base.Schema {
	if c.model.Components == nil || c.model.Components.Schemas == nil {
		return nil
	}
	p := c.model.Components.Schemas.GetOrZero(name)
	if p == nil {
		return nil
	}
	return p.Schema()
}

// describe flattens the validator's errors into lines.
func describe(what string, errs []*liberrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		line := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			line += ": " + e.Reason
		}
		for _, s := range e.SchemaValidationErrors {
			loc := s.FieldPath
			if loc == "" {
				loc = s.KeywordLocation
			}
			line += fmt.Sprintf("\n    at %s: %s", loc, s.Reason)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// secrets matches what a report must not carry (docs/security-model.md:
// secrets never reach a log or an error message): API keys, session tokens
// and the codes of the outbox, wherever they appear in an answer or in the
// validator's reasons.
var secrets = regexp.MustCompile(`(zup_(?:live|test)_sk_|zup_sess_)[A-Za-z0-9_-]+|("code"\s*:\s*")[^"]*`)

// redact replaces every secret in s by its prefix and "[redacted]".
func redact(s string) string {
	return secrets.ReplaceAllString(s, "$1$2[redacted]")
}

func clip(b []byte) string {
	const n = 600
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// recorder passes the answer through and keeps a copy of its status and
// body.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.wrote = true
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the
// dashboard's event stream flushes and moves its deadlines through it).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes a flush through, for writers that check for http.Flusher.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Violations collects what Middleware reports, for a harness that cannot
// fail its test from the server's goroutine (a testscript script): Err,
// called once the server is closed, fails the script with all of them.
type Violations struct {
	mu   sync.Mutex
	msgs []string
}

// Add records one violation; pass it to Middleware.
func (v *Violations) Add(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.msgs = append(v.msgs, msg)
}

// Err is nil when nothing broke the contract, else every violation.
func (v *Violations) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%d exchange(s) with the emulator break docs/openapi.yaml:\n%s", len(v.msgs), strings.Join(v.msgs, "\n"))
}

// CheckAnswer validates one answer of the emulator to method and target
// (a path with its query) against the document, as Middleware does; the
// request itself is not checked. For a test that asserts the contract of
// an answer it already holds.
func CheckAnswer(method, target string, status int, header http.Header, body []byte) error {
	c, err := load()
	if err != nil {
		return err
	}
	req := httptest.NewRequest(method, target, nil)
	w := httptest.NewRecorder()
	maps.Copy(w.Header(), header)
	rec := &recorder{ResponseWriter: w, status: status}
	rec.body.Write(body)
	if problems := c.check(req, nil, rec, true); len(problems) > 0 {
		return errors.New(redact(fmt.Sprintf("docs/openapi.yaml: %s %s → %d:\n  %s", method, target, status, strings.Join(problems, "\n  "))))
	}
	return nil
}
