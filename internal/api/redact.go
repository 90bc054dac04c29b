package api

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces every secret in the --debug trace.
const Redacted = "[REDACTED]"

// secretPattern matches API keys and session tokens wherever they appear.
// It is compiled on first use, not at start-up.
var secretPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`zup_(?:live|test)_sk_[A-Za-z0-9]+|zup_sess_[A-Za-z0-9]+`)
})

// secretFields are JSON members whose string value is always a secret.
var secretFields = map[string]bool{
	"api_key":       true,
	"session_token": true,
	"token":         true,
	"secret":        true,
	"password":      true,
}

// Redactor removes secrets from what the --debug trace shows: credential
// patterns anywhere, the values of secret JSON members (api_key,
// session_token, an OTP "code"), and every value it has learned is secret,
// wherever it shows up again (an OTP code quoted in a message text). One
// Redactor serves one request/response exchange; the zero value is ready.
type Redactor struct {
	known []string
}

// Add marks s as secret for the rest of the exchange.
func (r *Redactor) Add(s string) {
	// Very short values would redact unrelated text and are no secret.
	if len(s) < 4 || s == Redacted || slices.Contains(r.known, s) {
		return
	}
	r.known = append(r.known, s)
}

// String redacts credential patterns and known secrets in s.
func (r *Redactor) String(s string) string {
	for _, k := range r.known {
		s = strings.ReplaceAll(s, k, Redacted)
	}
	return redactString(s)
}

// Header is the value of header name as the trace shows it.
func (r *Redactor) Header(name, value string) string {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		if scheme, _, ok := strings.Cut(value, " "); ok {
			return scheme + " " + Redacted
		}
		return Redacted
	case "cookie", "set-cookie", "x-api-key":
		return Redacted
	}
	return r.String(value)
}

// Body redacts a body: a JSON document member by member (keeping its
// order), anything else as text.
func (r *Redactor) Body(body []byte) []byte {
	if out, ok := r.redactJSON(body); ok {
		return []byte(r.String(string(out)))
	}
	return []byte(r.String(string(body)))
}

// Redact redacts one body on its own; see Redactor.
func Redact(body []byte) []byte {
	var r Redactor
	return r.Body(body)
}

func redactString(s string) string { return secretPattern().ReplaceAllString(s, Redacted) }

func redactPatterns(b []byte) []byte { return secretPattern().ReplaceAll(b, []byte(Redacted)) }

// isSecretMember reports whether the value of member key is a secret. A
// "code" is one unless it reads as an error code (letters and underscores,
// like "VALIDATION_ERROR"): OTP codes are digits, and a mistyped one is
// still hidden.
func isSecretMember(key, value string) bool {
	if secretFields[key] {
		return true
	}
	if key != "code" {
		return false
	}
	for _, c := range value {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return true
		}
	}
	return false
}

type jsonFrame struct {
	object    bool
	expectKey bool
	key       string
	n         int
}

// redactJSON rewrites a JSON document compactly, token by token, replacing
// secret member values. It reports false when body is not JSON.
func (r *Redactor) redactJSON(body []byte) ([]byte, bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	var stack []*jsonFrame
	done := func() {
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			top.n++
			top.expectKey = top.object
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			done()
			continue
		}
		if top != nil && top.n > 0 && (!top.object || top.expectKey) {
			out.WriteByte(',')
		}
		if top != nil && top.object && top.expectKey {
			key, _ := tok.(string)
			writeJSONString(&out, key)
			out.WriteByte(':')
			top.key, top.expectKey = key, false
			continue
		}
		secretKey := top != nil && top.object
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, &jsonFrame{object: v == '{', expectKey: v == '{'})
			continue
		case string:
			if secretKey && isSecretMember(top.key, v) {
				r.Add(v)
				writeJSONString(&out, Redacted)
			} else {
				writeJSONString(&out, v)
			}
		case json.Number:
			if secretKey && (secretFields[top.key] || top.key == "code") {
				r.Add(v.String())
				writeJSONString(&out, Redacted)
			} else {
				out.WriteString(v.String())
			}
		case bool:
			if v {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
		done()
	}
	if len(stack) != 0 {
		return nil, false
	}
	return out.Bytes(), true
}

func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out.Truncate(out.Len() - 1)
}
