// Package emulator is `zupy emulator`: the local Zupy authentication API.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/contact"
	zemulator "github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/wire"
)

// NewCmdEmulator returns the emulator command group.
func NewCmdEmulator(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulator <command>",
		Short: "Run a local Zupy authentication API for offline work and CI",
		Long: `The emulator is a faithful local implementation of the Zupy authentication API
(one-time codes, sessions, API keys, verification, rate limits) on an embedded
SQLite database. Point zupy at it with ZUPY_BASE_URL or --base-url.

start serves it; exec runs a command against a fresh one; otp prints the
latest one-time code it sent; clock shows its clock or moves it forward.`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	cmd.AddCommand(NewCmdStart(f, nil), NewCmdOTP(f, nil), NewCmdExec(f, nil), NewCmdClock(f, nil))
	return cmd
}

// StartOptions is what `emulator start` uses.
type StartOptions struct {
	IO *ui.IOStreams
	// Getenv finds the default data directory (XDG_DATA_HOME, HOME).
	Getenv func(string) string

	Addr            string
	DataDir         string
	InMemory        bool
	PartnerEmail    string
	PartnerWhatsApp string
	PartnerName     string
	TrustedProxies  []string
	AllowedHosts    []string
	NoUI            bool
	// NoUsage turns the per-key usage statistics off (hidden: for make
	// bench, docs/benchmarks.md).
	NoUsage bool
	// URLFile receives the base URL once the emulator listens.
	URLFile string
}

// NewCmdStart returns `emulator start`; runF replaces the run in tests.
func NewCmdStart(f *cmdutil.Factory, runF func(*StartOptions) error) *cobra.Command {
	o := &StartOptions{IO: f.IOStreams, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve the Zupy authentication API locally",
		Long: `Serve the Zupy authentication API under /v1. The base URL is printed alone on
the first line of stdout (with --addr 127.0.0.1:0, the port chosen), the log
and every one-time code message "sent" go to stderr. The first line cannot be
read with $(zupy emulator start | head -1): the emulator keeps running, so
that never returns; a script starts it in the background with --url-file and
waits for the file (see the examples).

Data lives in --data-dir (default $XDG_DATA_HOME/zupy/emulator, else
~/.local/share/zupy/emulator) unless --in-memory. On first start it seeds a
demo partner: Demo Partner, dev@example.com, +5511999990000.
Stops cleanly on Ctrl-C or SIGTERM: requests in flight get a few seconds to
finish, then stalled clients are cut, and it exits 0.

Only requests whose Host is a loopback name or address are answered, and a
web page of another origin is refused, so no web page can reach it (DNS
rebinding, cross-site forms). Listening beyond loopback (--addr 0.0.0.0:8790,
a container), name the hosts it is reached by with --allowed-host.

A live dashboard (the codes sent, keys and their usage, rate limits, audit
events, the clock) is served at /_emulator/ui/; its URL is printed on stderr.
--no-ui turns it off. The API it serves is described by an OpenAPI 3.1
document at /_emulator/openapi.yaml (and /_emulator/openapi.json).`,
		Example: `  zupy emulator start --in-memory      # until Ctrl-C

  # in a script: on a free port, in the background, its URL in a file
  zupy emulator start --in-memory --addr 127.0.0.1:0 --url-file emulator.url &
  until [ -s emulator.url ]; do sleep 0.1; done
  export ZUPY_BASE_URL=$(cat emulator.url)
  zupy login --email dev@example.com --request-only`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return startRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Addr, "addr", "127.0.0.1:8790", "`HOST:PORT` to listen on (port 0 picks a free one)")
	fl.StringVar(&o.DataDir, "data-dir", "", "`DIR` of the SQLite database")
	fl.BoolVar(&o.InMemory, "in-memory", false, "Keep everything in memory, nothing on disk")
	fl.StringVar(&o.PartnerEmail, "partner-email", zemulator.DefaultPartnerEmail, "E-mail `ADDRESS` of the seeded demo partner")
	fl.StringVar(&o.PartnerWhatsApp, "partner-whatsapp", zemulator.DefaultPartnerWhatsApp, "WhatsApp `NUMBER` of the seeded demo partner")
	fl.StringVar(&o.PartnerName, "partner-name", zemulator.DefaultPartnerName, "`NAME` of the seeded demo partner")
	fl.StringArrayVar(&o.TrustedProxies, "trusted-proxy", nil, "Peer (`IP` or CIDR) whose X-Forwarded-For is believed; repeatable")
	fl.StringVar(&o.URLFile, "url-file", "", "Also write the base URL to `FILE` once listening (removed on exit): for scripts that start it in the background")
	fl.StringArrayVar(&o.AllowedHosts, "allowed-host", nil, "`HOST` name the emulator is reached by besides loopback ones (a container's, a proxy's); repeatable")
	fl.BoolVar(&o.NoUI, "no-ui", false, "Do not serve the live dashboard at /_emulator/ui/")
	// Hidden: only `make bench` uses it, to measure what recording costs
	// (docs/benchmarks.md); a user has no reason to lose usage data.
	fl.BoolVar(&o.NoUsage, "no-usage", false, "Do not record per-key usage statistics (for benchmarks)")
	_ = fl.MarkHidden("no-usage")
	// Not MarkFlagsMutuallyExclusive: cobra reports a flag-group violation
	// as a plain error (exit 1) before RunE, and this is a usage error (exit 2).
	return cmd
}

func startRun(ctx context.Context, o *StartOptions) error {
	// The emulator's live heap is a few megabytes (the key cache, the
	// limiter, a second of usage counts), so collecting at 4× the live heap
	// rather than Go's 2× costs little memory and takes a third of the
	// collector's work off every verification under load
	// (docs/benchmarks.md, "Process level"). GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return cmdutil.WithHint(fmt.Errorf("cannot listen on %s: the port is in use (by another emulator, or another program)", o.Addr),
			"Pick a free port with --addr 127.0.0.1:0 (the base URL is printed on the first line), or stop what holds this one")
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	defer ln.Close()
	// The log is written in batches (at least every 100 ms, all of it on
	// a clean stop: docs/api.md "How the emulator stores things"); everything else
	// this command prints to stderr goes through the same buffer, in order,
	// and one-time code messages are written at once.
	errOut := zemulator.NewLogWriter(o.IO.ErrOut)
	defer errOut.Close()
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.Logger = logger
	cfg.Messages = errOut.FlushingWriter()
	srv, err := zemulator.Open(ctx, cfg)
	if err != nil {
		return dataDirInUseHint(err)
	}
	defer srv.Close()

	if w := exposureWarning(ln.Addr()); w != "" {
		fmt.Fprintln(errOut, "Warning: "+w)
	}
	base := "http://" + ln.Addr().String() + "/v1"
	fmt.Fprintln(o.IO.Out, base)
	if o.URLFile != "" {
		// Written whole (a rename), so a script polling for it never
		// reads half a URL.
		if err := writeURLFile(o.URLFile, base); err != nil {
			return err
		}
		defer os.Remove(o.URLFile)
	}
	where := "in memory"
	if !cfg.InMemory {
		where = cfg.DataDir
	}
	logger.Info("emulator listening", "base_url", base, "data", where)
	// Codes go only to a partner's addresses: name them, so that a login
	// to another address is not a mystery (it is answered as sent).
	if partners, err := srv.Partners(ctx); err == nil {
		for _, p := range partners {
			fmt.Fprintf(errOut, "Partner: %s, %s, %s (one-time codes go only to these)\n", p.Name, p.Email, p.WhatsApp)
		}
	}
	if !cfg.NoUI {
		fmt.Fprintln(errOut, "Dashboard: "+dashboardURL(ln.Addr()))
	}

	_ = errOut.Flush() // the banner at once, not at the first tick

	// Serve drains for a few seconds on SIGINT/SIGTERM, then cuts stalled
	// clients and returns nil: a stop asked for is a success (exit 0).
	if err := srv.Serve(ctx, ln, zemulator.ServeOptions{}); err != nil {
		return err
	}
	logger.Info("stopped")
	return srv.Close()
}

// dataDirInUseHint adds what to do to the refusal of a data directory that
// another emulator holds; other errors are returned as they are.
func dataDirInUseHint(err error) error {
	if !errors.Is(err, zemulator.ErrDataDirInUse) {
		return err
	}
	return cmdutil.WithHint(err, "Stop that emulator, or give this one another --data-dir (or --in-memory)")
}

// writeURLFile writes base and a newline to path, atomically.
func writeURLFile(path, base string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(base+"\n"), 0o600); err != nil {
		return fmt.Errorf("--url-file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("--url-file: %w", err)
	}
	return nil
}

// exposureWarning says why listening beyond loopback is risky, or "".
func exposureWarning(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("the emulator listens on %s, beyond this machine: anyone who can reach the port can use its API, and its /_emulator routes hand out one-time codes and reset data without any credential; use it only on a network you trust (its Host check, loopback names and those given with --allowed-host, stops browsers tricked by DNS rebinding, not network clients, which choose their Host header)", addr)
}

func (o *StartOptions) config() (zemulator.Config, error) {
	cfg := zemulator.Config{InMemory: o.InMemory, PartnerName: strings.TrimSpace(o.PartnerName), NoUI: o.NoUI, NoUsageStats: o.NoUsage}
	if o.InMemory && o.DataDir != "" {
		return cfg, cmdutil.Usagef("--data-dir and --in-memory cannot be used together")
	}
	if cfg.PartnerName == "" {
		return cfg, cmdutil.Usagef("invalid --partner-name: must not be empty")
	}
	var err error
	if cfg.PartnerEmail, err = contact.NormalizeEmail(o.PartnerEmail); err != nil {
		return cfg, cmdutil.Usagef("invalid --partner-email: %v", err)
	}
	if cfg.PartnerWhatsApp, err = contact.NormalizeWhatsApp(o.PartnerWhatsApp); err != nil {
		return cfg, cmdutil.Usagef("invalid --partner-whatsapp: %v", err)
	}
	for _, h := range o.AllowedHosts {
		n, ok := zemulator.NormalizeAllowedHost(h)
		if !ok {
			return cfg, cmdutil.Usagef("invalid --allowed-host %q: expected a host name or IP address, without scheme or port", h)
		}
		cfg.AllowedHosts = append(cfg.AllowedHosts, n)
	}
	for _, p := range o.TrustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return cfg, cmdutil.Usagef("invalid --trusted-proxy %q: expected an IP address or CIDR block", p)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
	}
	if _, port, err := net.SplitHostPort(o.Addr); err != nil {
		return cfg, cmdutil.Usagef("invalid --addr %q: expected HOST:PORT, like 127.0.0.1:8790", o.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return cfg, cmdutil.Usagef("invalid --addr %q: the port must be a number from 0 to 65535 (0 picks a free one)", o.Addr)
	}
	if !o.InMemory {
		cfg.DataDir = o.DataDir
		if cfg.DataDir == "" {
			cfg.DataDir, err = DefaultDataDir(o.Getenv)
			if err != nil {
				return cfg, err
			}
		}
	}
	return cfg, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// DefaultDataDir is $XDG_DATA_HOME/zupy/emulator, else
// ~/.local/share/zupy/emulator.
func DefaultDataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "zupy", "emulator"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", cmdutil.Usagef("cannot find a data directory: set --data-dir, XDG_DATA_HOME or HOME")
	}
	return filepath.Join(home, ".local", "share", "zupy", "emulator"), nil
}

// OTPOptions is what `emulator otp` uses.
type OTPOptions struct {
	IO     *ui.IOStreams
	JSON   bool
	Client func() (*api.Client, error)

	// Destination is normalised; "" means any.
	Destination string
}

// NewCmdOTP returns `emulator otp`; runF replaces the run in tests.
func NewCmdOTP(f *cmdutil.Factory, runF func(*OTPOptions) error) *cobra.Command {
	opts := &OTPOptions{IO: f.IOStreams, Client: f.Client}
	var destination string
	cmd := &cobra.Command{
		Use:   "otp",
		Short: "Print the latest one-time code the emulator sent",
		Long: `Print the latest one-time code the emulator at the base URL sent (to
--destination, when given), for scripts and tests. Only an emulator answers
this: the real Zupy API has no such route.

--destination takes an address as login does: an e-mail address, a WhatsApp
number in E.164 (+5511999990000, spaces, dashes and parentheses allowed), or a
Brazilian national number such as "(11) 98765-4321", read as +55.

Only a code that can still be used is printed (exit 0). When the latest code
was already used, has expired or was replaced by a newer one, nothing goes to
stdout: the error says which, and the exit code is 6, as for such a code at
login. -o json prints the latest message whatever became of its code, with
its "status" (valid, used, expired or superseded) and "expires_at". When no
partner has the address, the emulator sent nothing: the error says so and
names the partner's addresses (exit 7, as when no code was sent).`,
		Example: `  zupy emulator otp --destination dev@example.com | zupy login --verification-id "$ID" --code-stdin
  zupy login --whatsapp +5511999990000 --request-only
  zupy emulator otp --destination "(11) 99999-0000"   # read as +5511999990000`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			opts.Destination = strings.TrimSpace(destination)
			if opts.Destination != "" {
				norm, err := normalizeDestination(opts.Destination)
				if err != nil {
					return err
				}
				opts.Destination = norm
			}
			if runF != nil {
				return runF(opts)
			}
			return otpRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&destination, "destination", "", "`DESTINATION` the code was sent to: an e-mail address or WhatsApp number")
	return cmd
}

// refuseZupyAPI is a usage error when base is Zupy's production or staging
// API, which has no outbox: asking it would only send a request to the
// real API for a route that cannot exist there.
func refuseZupyAPI(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return nil
	}
	for _, env := range []apikey.Environment{apikey.Production, apikey.Staging} {
		zu, _ := url.Parse(env.BaseURL())
		if strings.EqualFold(u.Hostname(), zu.Hostname()) {
			return cmdutil.WithHint(cmdutil.Usagef("the base URL %s is Zupy's %s API, not an emulator: only an emulator has an outbox", strings.TrimRight(base, "/"), env),
				"Point at the emulator with --base-url or ZUPY_BASE_URL (the URL `zupy emulator start` prints, e.g. http://127.0.0.1:8790/v1)")
		}
	}
	return nil
}

func otpRun(ctx context.Context, opts *OTPOptions) error {
	client, err := opts.Client()
	if err != nil {
		return err
	}
	if err := refuseZupyAPI(client.BaseURL()); err != nil {
		return err
	}
	box, _, err := client.Outbox(ctx, opts.Destination)
	if err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) && apiErr.Kind() == api.KindNotFound {
			return cmdutil.WithHint(err, "Is the base URL an emulator? Start one with `zupy emulator start`")
		}
		return err
	}
	var refused *api.UndeliveredOTP
	if n := len(box.Undelivered); n > 0 {
		refused = &box.Undelivered[n-1]
	}
	if len(box.Messages) == 0 {
		if refused != nil {
			return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindNotFound, Code: "no_partner",
				Msg: "no code was sent to " + refused.Destination + ": no partner has this address"}, refused.Reason)
		}
		msg := "the emulator has sent no code"
		if opts.Destination != "" {
			msg += " to " + opts.Destination
		}
		return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindNotFound, Code: api.CodeNotFound, Msg: msg},
			"Request one with `zupy login --request-only`")
	}
	last := box.Messages[len(box.Messages)-1]
	if refused != nil && !refused.RequestedAt.Before(last.SentAt) { // times are whole seconds
		fmt.Fprintf(opts.IO.ErrOut, "Note: the latest request, for %s, sent nothing: no partner has that address\n", refused.Destination)
	}
	// JSON carries the status for a program to read; text is the code
	// alone, so it is printed only when it can still be used.
	if opts.JSON {
		return ui.WriteJSON(opts.IO.Out, last)
	}
	if err := codeUnusable(last); err != nil {
		return err
	}
	_, err = fmt.Fprintln(opts.IO.Out, ui.SingleLine(last.Code))
	return err
}

// codeUnusable is the error of a message whose code can no longer be used
// (exit 6, as for such a code at login), nil for a valid one (or one from
// an emulator that does not say).
func codeUnusable(m api.OutboxMessage) error {
	var why string
	switch m.Status {
	case wire.OTPUsed:
		why = "was already used"
	case wire.OTPExpired:
		why = "has expired (at " + m.ExpiresAt.UTC().Format(time.RFC3339) + ")"
	case wire.OTPSuperseded:
		why = "was replaced by a newer one"
	default:
		return nil
	}
	return cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindVerification, Code: "code_" + m.Status,
		Msg: "the latest code sent to " + ui.SingleLine(m.Destination) + " " + why}, "Request a new one with `zupy login --request-only`")
}

// normalizeDestination reads --destination as login reads an address: an
// e-mail address, an E.164 number, or a Brazilian national number (+55).
// Only a lookup in the emulator's outbox follows, so the national number
// needs no confirmation here.
func normalizeDestination(dest string) (string, error) {
	norm, err := contact.Normalize(contact.Guess(dest), dest)
	if err == nil {
		return norm, nil
	}
	if e164, _, ok := contact.BrazilianNational(dest); ok && contact.Guess(dest) == contact.WhatsApp {
		return e164, nil
	}
	return "", cmdutil.Usagef("invalid --destination: %v", err)
}
