// Package api is `zupy api`: an authenticated request to any Zupy endpoint,
// in the conventions of `gh api` (docs/cli/zupy_api.md).
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/net/http/httpguts"

	zapi "github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// APIOptions are what `zupy api` uses.
type APIOptions struct {
	IO *ui.IOStreams
	// ChooseKey finds the API key and its base URL (resolve.Key).
	ChooseKey func(ctx context.Context, keyID string) (*resolve.Choice, error)
	// Resolver finds the login session, for --session.
	Resolver func() (credentials.Resolver, error)
	// BaseURL is the profile's base URL, for --session.
	BaseURL   func() (string, error)
	NewClient func(baseURL string) (*zapi.Client, error)
	// ReadFile reads @file values and --input when it is not a regular
	// file, failing past limit bytes (cmdutil.ReadFile).
	ReadFile func(ctx context.Context, name string, limit int64) ([]byte, error)
	// WarnExpiry notes on stderr a key that expires within 7 days, from
	// what zupy learned of it before or from a verify answer passing
	// through (resolve.WarnExpiry).
	WarnExpiry func(c *resolve.Choice, keyID string, expiresAt, now time.Time)

	Path        string
	Method      string
	MethodSet   bool
	RawFields   []string
	TypedFields []string
	Headers     http.Header
	Input       string
	Include     bool
	Silent      bool
	UseSession  bool
	KeyID       string
	// Filtered is set when --jq or --template will filter stdout: -i then
	// writes the status line and headers on stderr, keeping stdout JSON.
	Filtered bool

	// Built by parse.
	body   []byte
	stream *zapi.FileBody // --input FILE of a regular file, sent as it is read
	query  string
}

// NewCmdAPI returns `zupy api`; runF replaces the run in tests.
func NewCmdAPI(f *cmdutil.Factory, runF func(*APIOptions) error) *cobra.Command {
	opts := &APIOptions{
		IO:        f.IOStreams,
		ChooseKey: f.Resolve.Key,
		Resolver:  f.Resolve.Credentials,
		BaseURL: func() (string, error) {
			v, err := f.Resolve.BaseURL()
			return v.Value, err
		},
		NewClient:  f.ClientFor,
		ReadFile:   cmdutil.ReadFile,
		WarnExpiry: f.Resolve.WarnExpiry,
	}
	var headers []string
	cmd := &cobra.Command{
		Use:   "api PATH",
		Short: "Make an authenticated request to any Zupy API endpoint",
		Long: `Send a request to PATH (relative to the base URL, e.g. /loyalty/program) with
the API key chosen as for ping (--key-id, ZUPY_API_KEY, the profile's default
key), or with the login session (--session) for the management routes
(/api-keys…), and print the answer's body: indented and coloured on a terminal,
as received otherwise.

As in gh api: -f key=value adds a string field and -F key=value a typed one
(true, false, null and numbers become JSON values; @file reads the value from a
file, @- from standard input); key[]=value builds an array and key[sub]=value an
object. Fields make a JSON body and the method POST, unless -X says otherwise
(with -X GET they go in the query string). --input sends a file (or - for
standard input) as the body instead; a file is streamed as it is sent. A body
may hold at most 10 MiB: a larger one is refused before anything is sent. -H adds a header; Authorization cannot be
set this way (it would put a secret in the command line).

The exit code follows the status: 401 → 3, 403 → 4, 404 → 7, 429 → 5 (after
the usual --retries), other errors (400 included) 1; 2 only for bad input
found before anything is sent. The Authorization header is never
printed, not with -i, not with --debug. With --jq or --template, -i writes the
status line and headers on stderr so that stdout stays the filtered body.
--silent prints no body (the exit code still follows the status).

PATH may repeat the base URL's own path: with the base URL
https://api.zupy.com/v1, /v1/loyalty/program is /loyalty/program (as gh api
drops a leading /api/v3). The management routes (/api-keys…, except
a key's own /api-keys/self/rotate, /api-keys/self/usage and
/api-keys/self/rotation/undo, and /auth/session) take the login session: add
--session for them.`,
		Example: `  zupy api /loyalty/program
  zupy api /auth/verify -i
  zupy api --session /api-keys --jq '.data[].key_id'
  zupy api --session /api-keys -f name=POS -F rate_limit=200 -f 'permissions[]=loyalty:read'
  zupy api --session -X PATCH /api-keys/key_0123456789ab --input patch.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("api takes one PATH (got %d arguments)", len(args))}, "Example: zupy api /loyalty/program")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			opts.MethodSet = cmd.Flags().Changed("method")
			opts.Filtered = f.Global.JQ != "" || f.Global.Template != ""
			if err := opts.parse(cmd.Context(), headers); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return apiRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Method, "method", "X", "GET", "HTTP `METHOD`")
	fl.StringArrayVarP(&opts.RawFields, "raw-field", "f", nil, "Add a string field `KEY=VALUE`")
	fl.StringArrayVarP(&opts.TypedFields, "field", "F", nil, "Add a typed field `KEY=VALUE` (numbers, true, false, null, @file)")
	fl.StringArrayVarP(&headers, "header", "H", nil, "Add a request `HEADER` ('Name: value')")
	fl.StringVar(&opts.Input, "input", "", "Send the body from `FILE` (- for standard input)")
	fl.BoolVarP(&opts.Include, "include", "i", false, "Print the status line and the response headers first")
	fl.BoolVar(&opts.Silent, "silent", false, "Print no response body")
	fl.BoolVar(&opts.UseSession, "session", false, "Authenticate with the login session instead of an API key")
	fl.StringVar(&opts.KeyID, "key-id", "", "Saved key to use, its `KEY_ID` (default: ZUPY_API_KEY, then the profile's default key)")
	cmd.MarkFlagsMutuallyExclusive("session", "key-id")
	_ = cmd.RegisterFlagCompletionFunc("key-id", f.Resolve.CompleteSavedKeyIDs)
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(
		[]string{"GET", "POST", "PATCH", "PUT", "DELETE"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// parse checks everything before a request is sent: the path, the method,
// the headers, and builds the body or query from the fields.
func (o *APIOptions) parse(ctx context.Context, headers []string) error {
	if err := checkPath(o.Path); err != nil {
		return err
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	if _, rawQuery, ok := strings.Cut(o.Path, "?"); ok {
		if _, err := url.ParseQuery(rawQuery); err != nil {
			return cmdutil.Usagef("invalid query in PATH %s: %v", quoteShort(o.Path), err)
		}
	}
	o.Method = strings.ToUpper(strings.TrimSpace(o.Method))
	// A method is an RFC 9110 token, the same characters as a header name;
	// the longest registered one is 17 characters long.
	if len(o.Method) > maxMethodLen || !httpguts.ValidHeaderFieldName(o.Method) {
		return cmdutil.Usagef("invalid -X %s: an HTTP method such as GET, POST, PATCH or DELETE (letters, at most %d characters)", quoteShort(o.Method), maxMethodLen)
	}
	o.Headers = http.Header{}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return cmdutil.Usagef("invalid -H %q: use 'Name: value', the name made of letters, digits and !#$%%&'*+-.^_`|~", h)
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return cmdutil.Usagef("invalid -H %s: its value holds a line break or another control character", name)
		}
		if slices.Contains([]string{"Authorization", "Proxy-Authorization", "Host"}, http.CanonicalHeaderKey(name)) {
			return cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("-H %s cannot be set", name)},
				"zupy authenticates with the chosen key (or --session) itself; a secret on the command line would show in ps and shell history")
		}
		o.Headers.Add(name, value)
	}
	fields, err := o.fields(ctx)
	if err != nil {
		return err
	}
	if o.Input != "" {
		if err := o.readInput(ctx); err != nil {
			return err
		}
		if len(fields) > 0 {
			o.query = encodeQuery(fields) // as gh: the body is the input
		}
		if !o.MethodSet {
			o.Method = http.MethodPost
		}
		return nil
	}
	if len(fields) == 0 {
		return nil
	}
	if !o.MethodSet {
		o.Method = http.MethodPost
	}
	if o.Method == http.MethodGet || o.Method == http.MethodHead {
		o.query = encodeQuery(fields)
		return nil
	}
	o.body, err = encodeBody(fields)
	if err == nil && len(o.body) > cmdutil.MaxRequestBody {
		return tooLarge("the fields' JSON body", &cmdutil.TooLargeError{Limit: cmdutil.MaxRequestBody})
	}
	return err
}

// maxMethodLen bounds -X: the longest method in IANA's registry
// (UPDATEREDIRECTREF) has 17 characters.
const maxMethodLen = 20

// checkPath refuses a PATH that cannot be sent as given: an absolute URL
// (a "://" before the query; after the "?" it is data, /x?u=https://a), or
// a character a request line cannot carry (a control character, a space).
func checkPath(p string) error {
	before, _, _ := strings.Cut(p, "?")
	if strings.Contains(before, "://") {
		return cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("PATH %s must be relative to the base URL", quoteShort(p))}, "Example: zupy api /loyalty/program (set the server with --base-url)")
	}
	if len(p) > maxPathLen {
		return cmdutil.Usagef("PATH is %d bytes long: at most %d", len(p), maxPathLen)
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f || r == '#' {
			return cmdutil.WithHint(cmdutil.Usagef("invalid PATH %s: it holds %s", quoteShort(p), describeChar(r)),
				"Percent-encode it (a space is %20), or pass query values with -f and -X GET")
		}
	}
	return nil
}

// maxPathLen bounds PATH with its query: servers refuse longer request
// lines (8 KiB is Go's and nginx's default).
const maxPathLen = 8 << 10

func describeChar(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '#':
		return "a # (a fragment is never sent)"
	case '\r', '\n':
		return "a line break"
	}
	return fmt.Sprintf("the control character %U", r)
}

// quoteShort quotes s for an error message, cut to 60 bytes: a 120 KB -X is
// not echoed whole.
func quoteShort(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q… (%d bytes)", strings.ToValidUTF8(s[:60], ""), len(s))
	}
	return fmt.Sprintf("%q", s)
}

// readInput reads --input: standard input and anything but a regular file
// (a FIFO, /dev/stdin) into memory up to the cap, a regular file only
// measured here and streamed when the request is sent.
func (o *APIOptions) readInput(ctx context.Context) error {
	if o.Input == "-" {
		data, err := cmdutil.ReadAll(ctx, o.IO.In, cmdutil.MaxRequestBody)
		if err != nil {
			return tooLarge("--input -", err)
		}
		o.body = data
		return nil
	}
	if fi, err := os.Stat(o.Input); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > cmdutil.MaxRequestBody {
			return tooLarge("--input "+o.Input, &cmdutil.TooLargeError{Limit: cmdutil.MaxRequestBody})
		}
		name := o.Input
		o.stream = &zapi.FileBody{Size: fi.Size(), Open: func() (io.ReadCloser, error) { return os.Open(name) }}
		return nil
	}
	data, err := o.ReadFile(ctx, o.Input, cmdutil.MaxRequestBody)
	if err != nil {
		return tooLarge("--input "+o.Input, err)
	}
	o.body = data
	return nil
}

// tooLarge is the usage error of input that could not be read or is over
// the body cap; a cancel stays a cancel (exit 130).
func tooLarge(what string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var big *cmdutil.TooLargeError
	if errors.As(err, &big) {
		return cmdutil.WithHint(cmdutil.Usagef("%s: the request body would be %s; nothing was sent", what, big.Error()),
			"zupy api sends at most "+cmdutil.FormatBytes(cmdutil.MaxRequestBody)+" (the Zupy API takes far less)")
	}
	return &cmdutil.UsageError{Err: fmt.Errorf("%s: %w", what, err)}
}

func apiRun(ctx context.Context, opts *APIOptions) error {
	var (
		token  string
		base   string
		wrap   = func(err error) error { return err }
		choice *resolve.Choice
	)
	if opts.UseSession {
		b, err := opts.BaseURL()
		if err != nil {
			return err
		}
		r, err := opts.Resolver()
		if err != nil {
			return err
		}
		sess, err := resolve.SessionFor(ctx, r, b)
		if err != nil {
			return err
		}
		token, base, wrap = sess.Token, b, sess.Refused
	} else {
		var err error
		choice, err = opts.ChooseKey(ctx, opts.KeyID)
		if err != nil {
			if needsSession(stripBasePath("", opts.Path)) {
				return withSessionHint(err)
			}
			return err
		}
		token, base = choice.Key.Secret, choice.BaseURL
	}
	path := stripBasePath(base, opts.Path)
	if !opts.UseSession && needsSession(path) {
		wrap = func(err error) error { return withSessionHint(err) }
	}
	if opts.query != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + opts.query
	}
	req := zapi.Request{Method: opts.Method, Path: path, Token: token, Header: opts.Headers}
	if opts.body != nil {
		req.Body = opts.body
	}
	client, err := opts.NewClient(base)
	if err != nil {
		return err
	}
	if opts.stream != nil {
		req.Body = opts.stream
	}
	resp, err := client.Raw(ctx, req)
	if resp == nil {
		return err
	}
	if choice != nil && opts.WarnExpiry != nil {
		defer warnExpiry(opts, choice, path, resp)
	}
	if opts.Include {
		w, cs, tty := opts.IO.Out, opts.IO.ColorScheme(), opts.IO.IsStdoutTTY()
		if opts.Filtered {
			w, cs, tty = opts.IO.ErrOut, opts.IO.ErrColorScheme(), opts.IO.IsStderrTTY()
		}
		printHead(w, cs, resp, tty)
	}
	if !opts.Silent {
		if perr := printBody(opts.IO, resp.Body); perr != nil {
			return perr
		}
	}
	return wrap(err)
}

// warnExpiry notes a key that expires soon after the answer is printed;
// a verify answer passing through says when.
func warnExpiry(opts *APIOptions, choice *resolve.Choice, path string, resp *zapi.Response) {
	var v zapi.Verification
	if p, _, _ := strings.Cut(path, "?"); strings.TrimRight(p, "/") == "/auth/verify" && resp.Status == http.StatusOK {
		_ = json.Unmarshal(resp.Body, &v)
	}
	opts.WarnExpiry(choice, v.KeyID, v.ExpiresAt, resp.ServerNow(time.Now()))
}

// stripBasePath drops a leading copy of the base URL's path from path, so
// that /v1/loyalty/program against …/v1 is /loyalty/program, not
// /v1/v1/loyalty/program. With no base (before the base URL is known) it
// drops a leading /v1, the API's version prefix (docs/api.md).
func stripBasePath(base, path string) string {
	prefix := "/v1"
	if base != "" {
		u, err := url.Parse(base)
		if err != nil {
			return path
		}
		prefix = strings.TrimRight(u.Path, "/")
	}
	if prefix == "" {
		return path
	}
	if rest, ok := strings.CutPrefix(path, prefix); ok && (rest == "" || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "?")) {
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		return rest
	}
	return path
}

// needsSession reports whether path is a route that takes the login session,
// not an API key (docs/api.md): the key management routes, except a key's
// calls on itself (/api-keys/self/…), and the session's own.
func needsSession(path string) bool {
	p, _, _ := strings.Cut(path, "?")
	p = strings.TrimRight(p, "/")
	switch {
	case p == "/api-keys/self", strings.HasPrefix(p, "/api-keys/self/"):
		return false // a key's calls on itself: rotate, usage, rotation/undo
	case p == "/api-keys", strings.HasPrefix(p, "/api-keys/"):
		return true
	case p == "/auth/session", strings.HasPrefix(p, "/auth/session/"):
		return true
	}
	return false
}

// withSessionHint adds the hint that the route takes the login session to
// an authentication failure.
func withSessionHint(err error) error {
	if cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		return err
	}
	return cmdutil.WithHint(err, "This route needs the login session: add --session")
}

// printHead writes the status line and the answer's headers, sorted. The
// answer never carries the request's Authorization. On a terminal the
// headers' control characters are shown escaped (ui.Escape), so a header
// cannot draw; piped, they pass as received.
func printHead(w io.Writer, cs *ui.ColorScheme, resp *zapi.Response, tty bool) {
	show := func(s string) string { return s }
	if tty {
		show = ui.Escape
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\n", cs.Bold("HTTP/1.1"), resp.Status, http.StatusText(resp.Status))
	names := make([]string, 0, len(resp.Header))
	for n := range resp.Header {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.EqualFold(n, "Authorization") {
			continue
		}
		for _, v := range resp.Header[n] {
			fmt.Fprintf(&b, "%s: %s\n", cs.Accent(show(displayName(n))), show(v))
		}
	}
	b.WriteString("\n")
	_, _ = w.Write(b.Bytes())
}

// displayName is a header's name as the Zupy docs spell it: Go's client
// reads X-RateLimit-Limit as X-Ratelimit-Limit, and people grep for the
// documented form.
func displayName(n string) string {
	if rest, ok := strings.CutPrefix(n, "X-Ratelimit-"); ok {
		return "X-RateLimit-" + rest
	}
	return n
}

// printBody writes the body: on a terminal, indented and coloured when it
// is JSON, and with its control characters escaped either way (ui.EscapeJSON,
// ui.Escape: a body cannot retitle or clear the terminal); piped, exactly
// as received (docs/security-model.md#the-servers-strings).
func printBody(io *ui.IOStreams, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	if io.IsStdoutTTY() {
		if pretty, ok := ui.PrettyJSON(io.ColorScheme(), body); ok {
			_, err := io.Out.Write(ui.EscapeJSON(pretty))
			return err
		}
		_, err := io.Out.Write([]byte(ui.Escape(string(body))))
		return err
	}
	_, err := io.Out.Write(body)
	return err
}
