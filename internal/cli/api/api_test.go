package api

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

// parse runs `zupy api ARGS` up to the run function and returns the options
// it would run with.
func parse(t *testing.T, stdin string, args ...string) (*APIOptions, error) {
	t.Helper()
	f := cmdutil.New(ui.Test(strings.NewReader(stdin), &bytes.Buffer{}, &bytes.Buffer{}), func(string) string { return "" })
	var got *APIOptions
	cmd := NewCmdAPI(f, func(o *APIOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestNewCmdAPIParsing(t *testing.T) {
	dir := t.TempDir()
	note := filepath.Join(dir, "note.txt")
	if err := os.WriteFile(note, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := sparseFile(t, 10<<20+1)
	for _, tc := range []struct {
		name       string
		args       []string
		stdin      string
		method     string
		path       string
		body       string
		query      string
		header     http.Header
		usageError string
	}{
		{name: "plain GET", args: []string{"/loyalty/program"}, method: "GET", path: "/loyalty/program"},
		{name: "leading slash added", args: []string{"loyalty/program"}, method: "GET", path: "/loyalty/program"},
		{name: "fields make a POST with a JSON body", args: []string{"/api-keys", "-f", "name=POS", "-F", "rate_limit=200", "-F", "ok=true", "-F", "gone=null", "-F", "ratio=1.5"},
			method: "POST", path: "/api-keys", body: `{"gone":null,"name":"POS","ok":true,"rate_limit":200,"ratio":1.5}`},
		{name: "-f keeps numbers as strings", args: []string{"/x", "-f", "n=200"}, method: "POST", path: "/x", body: `{"n":"200"}`},
		{name: "arrays and objects", args: []string{"/x", "-f", "p[]=a", "-f", "p[]=b", "-f", "o[k]=v", "-F", "o[n][]=1"},
			method: "POST", path: "/x", body: `{"o":{"k":"v","n":[1]},"p":["a","b"]}`},
		{name: "@file and @-", args: []string{"/x", "-F", "note=@" + note, "-F", "in=@-"}, stdin: "piped",
			method: "POST", path: "/x", body: `{"in":"piped","note":"hello"}`},
		{name: "-X keeps its method", args: []string{"-X", "patch", "/api-keys/key_0123456789ab", "-F", "rate_limit=5"},
			method: "PATCH", path: "/api-keys/key_0123456789ab", body: `{"rate_limit":5}`},
		{name: "-X GET puts fields in the query", args: []string{"-X", "GET", "/auth/verify", "-f", "permission[]=loyalty:read", "-f", "permission[]=coupons:validate"},
			method: "GET", path: "/auth/verify", query: "permission=loyalty%3Aread&permission=coupons%3Avalidate"},
		{name: "--input from stdin", args: []string{"/x", "--input", "-"}, stdin: `{"raw":true}`, method: "POST", path: "/x", body: `{"raw":true}`},
		{name: "headers", args: []string{"/x", "-H", "X-Trace: abc", "-H", "Accept: text/plain"}, method: "GET", path: "/x",
			header: http.Header{"X-Trace": {"abc"}, "Accept": {"text/plain"}}},
		{name: "no Authorization header", args: []string{"/x", "-H", "authorization: Bearer zup_live_sk_x"}, usageError: "-H authorization cannot be set"},
		{name: "bad header", args: []string{"/x", "-H", "nocolon"}, usageError: "use 'Name: value'"},
		{name: "bad field", args: []string{"/x", "-f", "novalue"}, usageError: "use key=value"},
		{name: "[] not last", args: []string{"/x", "-f", "a[][b]=1"}, usageError: "[] may only come last"},
		{name: "field twice", args: []string{"/x", "-f", "a=1", "-f", "a=2"}, usageError: "given twice"},
		{name: "missing file", args: []string{"/x", "-F", "a=@" + filepath.Join(dir, "nope")}, usageError: "a=@"},
		{name: "absolute URL", args: []string{"https://example.com/v1/x"}, usageError: "relative to the base URL"},
		{name: "a line break in PATH", args: []string{"/x\r\nA: b"}, usageError: "a line break"},
		{name: "a space in PATH", args: []string{"/x y"}, usageError: "a space"},
		{name: ":// in the query is data", args: []string{"/x?u=https://a"}, method: "GET", path: "/x?u=https://a"},
		{name: ":// before the query", args: []string{"/x/https://a"}, usageError: "relative to the base URL"},
		{name: "a method of 120 KB", args: []string{"-X", strings.Repeat("A", 120<<10), "/x"}, usageError: "at most 20 characters"},
		{name: "a method with a line break", args: []string{"-X", "GET\r\nA: b", "/x"}, usageError: "invalid -X"},
		{name: "--input /dev/zero", args: []string{"/x", "--input", "/dev/zero"}, usageError: "would be larger than 10 MiB; nothing was sent"},
		{name: "--input of a file over the cap", args: []string{"/x", "--input", big}, usageError: "would be larger than 10 MiB"},
		{name: "-F @file over the cap", args: []string{"/x", "-F", "a=@" + big}, usageError: "would be larger than 10 MiB"},
		{name: "-F @- over the cap", args: []string{"/x", "-F", "a=@-"}, stdin: strings.Repeat("x", 10<<20+1), usageError: "would be larger than 10 MiB"},
		{name: "--input - over the cap", args: []string{"/x", "--input", "-"}, stdin: strings.Repeat("x", 10<<20+1), usageError: "would be larger than 10 MiB"},
		{name: "fields whose JSON is over the cap", args: []string{"/x", "-f", "a=" + strings.Repeat("\x01", 2<<20)}, usageError: "the fields' JSON body"},
		{name: "session and key id", args: []string{"/x", "--session", "--key-id", "key_0123456789ab"}, usageError: "[key-id session]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(t, tc.stdin, tc.args...)
			if tc.usageError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.usageError) {
					t.Fatalf("err = %v, want one containing %q", err, tc.usageError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Method != tc.method || o.Path != tc.path || string(o.body) != tc.body || o.query != tc.query {
				t.Fatalf("got %s %s body %q query %q", o.Method, o.Path, o.body, o.query)
			}
			for k, v := range tc.header {
				if o.Headers.Get(k) != v[0] {
					t.Errorf("header %s = %q, want %q", k, o.Headers.Get(k), v[0])
				}
			}
		})
	}
}

func TestDisplayNameSpellsRateLimitHeadersAsDocumented(t *testing.T) {
	if got := displayName("X-Ratelimit-Remaining"); got != "X-RateLimit-Remaining" {
		t.Fatalf("displayName = %q", got)
	}
	if got := displayName("Content-Type"); got != "Content-Type" {
		t.Fatalf("displayName = %q", got)
	}
}

func TestStripBasePathDropsALeadingCopyOfTheBasePath(t *testing.T) {
	for _, tc := range []struct{ base, path, want string }{
		{"https://api.zupy.com/v1", "/v1/loyalty/program", "/loyalty/program"},
		{"https://api.zupy.com/v1", "/v1", "/"},
		{"https://api.zupy.com/v1", "/v1?x=1", "/?x=1"},
		{"https://api.zupy.com/v1/", "/v1/auth/verify", "/auth/verify"},
		{"https://api.zupy.com/v1", "/v1beta/x", "/v1beta/x"},
		{"https://api.zupy.com/v1", "/loyalty/program", "/loyalty/program"},
		{"http://127.0.0.1:8790/gw/v1", "/gw/v1/api-keys", "/api-keys"},
		{"http://127.0.0.1:8790", "/v1/api-keys", "/v1/api-keys"},
		{"", "/v1/api-keys", "/api-keys"},
	} {
		if got := stripBasePath(tc.base, tc.path); got != tc.want {
			t.Errorf("stripBasePath(%q, %q) = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
}

func TestNeedsSessionNamesTheManagementRoutes(t *testing.T) {
	for path, want := range map[string]bool{
		"/api-keys":                                true,
		"/api-keys?status=all":                     true,
		"/api-keys/key_0123456789ab":               true,
		"/api-keys/key_0123456789ab/rotate":        true,
		"/api-keys/self/rotate":                    false,
		"/api-keys/self/usage?lineage=true":        false,
		"/api-keys/self/rotation/undo":             false,
		"/api-keys/key_0123456789ab/rotation/undo": true,
		"/api-keys/usage":                          true,
		"/api-keys/key_0123456789ab/usage":         true,
		"/auth/session":                            true,
		"/auth/verify":                             false,
		"/loyalty/program":                         false,
		"/api-keysx":                               false,
	} {
		if got := needsSession(path); got != want {
			t.Errorf("needsSession(%q) = %v, want %v", path, got, want)
		}
	}
}

// sparseFile makes a file of size bytes that takes no room on disk.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestInputOfARegularFileIsStreamedNotRead(t *testing.T) {
	name := sparseFile(t, 10<<20) // the cap itself is allowed
	o, err := parse(t, "", "/x", "--input", name)
	if err != nil {
		t.Fatal(err)
	}
	if o.body != nil || o.stream == nil || o.stream.Size != 10<<20 {
		t.Fatalf("body %d bytes, stream %+v: want the file streamed, not read", len(o.body), o.stream)
	}
	if o.Method != http.MethodPost {
		t.Fatalf("method %s, want POST", o.Method)
	}
}
