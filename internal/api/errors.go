package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zupy/zupy-cli/internal/wire"
)

// Error is a non-2xx answer of the API, decoded from any of the three error
// shapes of the Zupy docs (or derived from the status when the body is none
// of them). Code is lower snake case.
type Error struct {
	Status   int
	Code     string
	Message  string
	Details  map[string]any
	Response *Response
}

// Error is "<code> - <message>", the way the Zupy docs display errors, e.g.
// "authentication_failed - API key has expired".
func (e *Error) Error() string { return e.Code + " - " + e.Message }

// Kind says what sort of failure an error is, for callers that act on it
// (the CLI maps kinds to exit codes); it carries no exit numbers itself.
type Kind int

// The kinds of failure.
const (
	KindOther        Kind = iota // anything below does not describe
	KindUsage                    // bad input found before any request was sent (never from a server)
	KindAuth                     // authentication failed (401)
	KindPermission               // permission denied (403)
	KindNotFound                 // no such resource (404)
	KindConflict                 // the resource is in the wrong state (409)
	KindRateLimited              // too many requests (429)
	KindVerification             // a one-time code was wrong, expired, used or locked
	KindServer                   // the server failed (5xx)
	KindInvalid                  // the server refused the request's input (400, validation_error)
)

// Kind classifies the error: verification_failed first (whatever its
// status), then the status, then validation_error.
func (e *Error) Kind() Kind {
	if e.Code == CodeVerification {
		return KindVerification
	}
	switch {
	case e.Status == http.StatusBadRequest:
		return KindInvalid
	case e.Status == http.StatusUnauthorized:
		return KindAuth
	case e.Status == http.StatusForbidden:
		return KindPermission
	case e.Status == http.StatusNotFound:
		return KindNotFound
	case e.Status == http.StatusConflict:
		return KindConflict
	case e.Status == http.StatusTooManyRequests:
		return KindRateLimited
	case e.Code == CodeValidation:
		return KindInvalid
	case e.Status >= 500:
		return KindServer
	}
	return KindOther
}

// ServerCode is the server's own error code in details.error_code (such as
// IP_NOT_ALLOWED or OTP_LOCKED), "" when it sent none.
func (e *Error) ServerCode() string {
	s, _ := e.Details[wire.DetailErrorCode].(string)
	return s
}

// NetworkError is a request that got no usable answer: the connection failed,
// the attempt timed out, or the caller gave up. Its message names the method
// and the URL without query or user info, never a credential.
type NetworkError struct {
	Op  string // the HTTP method
	URL string // scheme://host/path
	Err error
	// Cause says in words what failed, naming the host, when the failure is
	// one of those classified by classifyTransport.
	Cause string
	// Permanent marks a failure that will not heal in seconds (a refused
	// connection, an unknown host, a TLS failure): it is never retried.
	Permanent bool
}

func (e *NetworkError) Error() string {
	if e.Cause != "" {
		return e.Cause + " (" + e.Op + " " + e.URL + ")"
	}
	return e.Op + " " + e.URL + ": " + e.Err.Error()
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Timeout reports whether the attempt ran out of its Options.Timeout.
func (e *NetworkError) Timeout() bool {
	var t *timeoutError
	return errors.As(e.Err, &t)
}

type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("request timed out after %s without an answer", e.after)
}

func (e *timeoutError) Timeout() bool { return true }

func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// safeURL drops the query and any user info from raw.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return redactString(u.String())
}

// maxMessage bounds an error message taken from a response.
const maxMessage = 300

// decodeError reads resp's body as one of the three error shapes:
//
//	{"error": "<code>", "message": "…", "details": {…}}
//	{"success": false, "error": {"code": "UPPER_CODE", "message": "…", "details": {…}}}
//	{"success": false, "error": "<code>", "message": "…"}
//
// and falls back to a code derived from the status and its status text for
// anything else. Secrets matching the credential patterns are redacted from
// the message and the details; the raw body is never used as the message.
func decodeError(resp *Response) *Error {
	e := &Error{Status: resp.Status, Response: resp}
	var envelope struct {
		Error   json.RawMessage `json:"error"`
		Message any             `json:"message"`
		Details any             `json:"details"`
	}
	if json.Unmarshal(redactPatterns(resp.Body), &envelope) == nil && len(envelope.Error) > 0 {
		var code string
		var nested struct {
			Code    string `json:"code"`
			Message any    `json:"message"`
			Details any    `json:"details"`
		}
		switch {
		case json.Unmarshal(envelope.Error, &code) == nil:
			e.Code = code
			e.Message, _ = envelope.Message.(string)
			e.Details, _ = envelope.Details.(map[string]any)
		case json.Unmarshal(envelope.Error, &nested) == nil:
			e.Code = nested.Code
			e.Message, _ = nested.Message.(string)
			e.Details, _ = nested.Details.(map[string]any)
			if e.Message == "" {
				e.Message, _ = envelope.Message.(string)
			}
		}
	}
	// The raw body was redacted above, but a JSON escape ("zup\u005flive…")
	// hides a credential from that pass and decodes into one: redact again
	// what was decoded (the message after sanitizing: dropping a control
	// character or an invalid byte may join the halves of a key).
	e.Details = redactDetails(e.Details)
	e.Code = normalizeCode(e.Code)
	if secretPattern().MatchString(e.Code) {
		e.Code = ""
	}
	if e.Code == "" {
		e.Code = statusCode(resp.Status)
	}
	e.Message = redactString(sanitizeMessage(e.Message))
	if e.Message == "" {
		e.Message = statusText(resp.Status)
	}
	return e
}

// redactDetails redacts credential patterns in every string of decoded
// details, keys included.
func redactDetails(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return redactString(x)
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, v := range x {
				out[redactString(k)] = walk(v)
			}
			return out
		}
		return v
	}
	return walk(d).(map[string]any)
}

// CodeInvalidResponse is the code of a success status whose body is not the
// JSON the route answers with: nothing, an HTML page (a proxy, a portal, a
// wrong base URL), or a document cut short.
const CodeInvalidResponse = "invalid_response"

// invalidResponse describes a 2xx answer that could not be decoded, in one
// line that names the request and what came instead; the body itself is
// never quoted (it may hold a secret, or be a whole page).
func invalidResponse(resp *Response, r Request) *Error {
	status := fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status))
	body := bytes.TrimSpace(resp.Body)
	var what string
	switch {
	case len(body) == 0:
		what = "an empty body"
	case body[0] != '{' && body[0] != '[':
		what = "a body that is not JSON"
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && len(mt) <= 64 && mt != "application/json" {
			what = "a " + sanitizeMessage(mt) + " body, not JSON"
		}
	case json.Valid(body):
		what = "JSON of another shape"
	default:
		what = "JSON cut short or malformed"
	}
	return &Error{
		Status:   resp.Status,
		Code:     CodeInvalidResponse,
		Message:  fmt.Sprintf("%s %s answered %s with %s", r.Method, r.Path, status, what),
		Response: resp,
	}
}

// normalizeCode turns "VALIDATION_ERROR" into "validation_error"; a code that
// is not an identifier is dropped, so the status decides.
func normalizeCode(code string) string {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return ""
	}
	for _, r := range code {
		if !(r == '_' || r == '-' || r == '.' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return ""
		}
	}
	return strings.ToLower(code)
}

// statusCode is the error code of a status whose body named none.
func statusCode(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return CodeValidation
	case status == http.StatusUnauthorized:
		return CodeAuthentication
	case status == http.StatusForbidden:
		return CodePermission
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusConflict:
		return CodeConflict
	case status == http.StatusTooManyRequests:
		return CodeRateLimit
	case status >= 500:
		return CodeInternal
	}
	if text := http.StatusText(status); text != "" {
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == ' ' || r == '-':
				b.WriteByte('_')
			}
		}
		return b.String()
	}
	return fmt.Sprintf("http_%d", status)
}

func statusText(status int) string {
	if text := http.StatusText(status); text != "" {
		return text
	}
	return fmt.Sprintf("HTTP status %d", status)
}

// sanitizeMessage keeps a server message printable on one line and short.
func sanitizeMessage(msg string) string {
	msg = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if utf8.RuneCountInString(msg) > maxMessage {
		msg = string([]rune(msg)[:maxMessage]) + "…"
	}
	return msg
}
