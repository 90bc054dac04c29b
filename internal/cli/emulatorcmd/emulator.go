// Package emulatorcmd is `zupy emulator`: the local Zupy authentication API.
package emulatorcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/ui"
)

// New returns the emulator command group.
func New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulator <command>",
		Short: "Run a local Zupy authentication API for offline work and CI",
		Long: `The emulator is a faithful local implementation of the Zupy authentication API
(one-time codes, sessions, API keys, verification, rate limits) on an embedded
SQLite database. Point zupy at it with ZUPY_BASE_URL or --base-url.`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.GroupRun,
	}
	cmd.AddCommand(newStart(f), newOTP(f))
	return cmd
}

type startOptions struct {
	addr            string
	dataDir         string
	inMemory        bool
	partnerEmail    string
	partnerWhatsApp string
	partnerName     string
	trustedProxies  []string
}

func newStart(f *cmdutil.Factory) *cobra.Command {
	o := &startOptions{}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve the Zupy authentication API locally",
		Long: `Serve the Zupy authentication API under /v1. The base URL is printed alone on
the first line of stdout (with --addr 127.0.0.1:0, the port chosen), the log
and every one-time code message "sent" go to stderr.

Data lives in --data-dir (default $XDG_DATA_HOME/zupy/emulator, else
~/.local/share/zupy/emulator) unless --in-memory. On first start it seeds a
demo partner: Demo Partner, dev@example.com, +5511999990000.
Stops cleanly on Ctrl-C or SIGTERM, finishing requests in flight.`,
		Example: `  zupy emulator start --in-memory
  ZUPY_BASE_URL=$(zupy emulator start --addr 127.0.0.1:0 | head -1)`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runStart(cmd.Context(), f, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8790", "Address to listen on")
	fl.StringVar(&o.dataDir, "data-dir", "", "Directory of the SQLite database")
	fl.BoolVar(&o.inMemory, "in-memory", false, "Keep everything in memory, nothing on disk")
	fl.StringVar(&o.partnerEmail, "partner-email", emulator.DefaultPartnerEmail, "E-mail of the seeded demo partner")
	fl.StringVar(&o.partnerWhatsApp, "partner-whatsapp", emulator.DefaultPartnerWhatsApp, "WhatsApp number of the seeded demo partner")
	fl.StringVar(&o.partnerName, "partner-name", emulator.DefaultPartnerName, "Name of the seeded demo partner")
	fl.StringArrayVar(&o.trustedProxies, "trusted-proxy", nil, "Peer (IP or CIDR) whose X-Forwarded-For is believed; repeatable")
	// Not MarkFlagsMutuallyExclusive: cobra reports a flag-group violation
	// as a plain error (exit 1) before RunE, and this is a usage error (exit 2).
	return cmd
}

func runStart(ctx context.Context, f *cmdutil.Factory, o *startOptions) error {
	cfg, err := o.config(f)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	defer ln.Close()
	logger := slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.Logger = logger
	cfg.Messages = f.IO.ErrOut
	srv, err := emulator.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()

	if w := exposureWarning(ln.Addr()); w != "" {
		fmt.Fprintln(f.IO.ErrOut, "Warning: "+w)
	}
	base := "http://" + ln.Addr().String() + "/v1"
	fmt.Fprintln(f.IO.Out, base)
	where := "in memory"
	if !cfg.InMemory {
		where = cfg.DataDir
	}
	logger.Info("emulator listening", "base_url", base, "data", where)

	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return srv.Close()
}

// exposureWarning says why listening beyond loopback is risky, or "".
func exposureWarning(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("the emulator listens on %s, beyond this machine: its /_emulator routes hand out one-time codes and reset data without any credential; use it only on a network you trust", addr)
}

func (o *startOptions) config(f *cmdutil.Factory) (emulator.Config, error) {
	cfg := emulator.Config{InMemory: o.inMemory, PartnerName: strings.TrimSpace(o.partnerName)}
	if o.inMemory && o.dataDir != "" {
		return cfg, cmdutil.Usagef("--data-dir and --in-memory cannot be used together")
	}
	if cfg.PartnerName == "" {
		return cfg, cmdutil.Usagef("invalid --partner-name: must not be empty")
	}
	var err error
	if cfg.PartnerEmail, err = contact.NormalizeEmail(o.partnerEmail); err != nil {
		return cfg, cmdutil.Usagef("invalid --partner-email: %v", err)
	}
	if cfg.PartnerWhatsApp, err = contact.NormalizeWhatsApp(o.partnerWhatsApp); err != nil {
		return cfg, cmdutil.Usagef("invalid --partner-whatsapp: %v", err)
	}
	for _, p := range o.trustedProxies {
		prefix, err := parsePrefix(p)
		if err != nil {
			return cfg, cmdutil.Usagef("invalid --trusted-proxy %q: expected an IP address or CIDR block", p)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return cfg, cmdutil.Usagef("invalid --addr %q: expected HOST:PORT, like 127.0.0.1:8790", o.addr)
	}
	if !o.inMemory {
		cfg.DataDir = o.dataDir
		if cfg.DataDir == "" {
			cfg.DataDir, err = DefaultDataDir(f.Getenv)
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

func newOTP(f *cmdutil.Factory) *cobra.Command {
	var destination string
	cmd := &cobra.Command{
		Use:   "otp",
		Short: "Print the latest one-time code the emulator sent",
		Long: `Print the latest one-time code the emulator at the base URL sent (to
--destination, when given), for scripts and tests. Only an emulator answers
this: the real Zupy API has no such route.`,
		Example: `  zupy emulator otp --destination dev@example.com | zupy login --verification-id "$ID" --code-stdin`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := strings.TrimSpace(destination)
			if dest != "" {
				norm, err := contact.Normalize(contact.Guess(dest), dest)
				if err != nil {
					return cmdutil.Usagef("invalid --destination: %v", err)
				}
				dest = norm
			}
			client, err := f.Client()
			if err != nil {
				return err
			}
			box, err := client.Outbox(cmd.Context(), dest)
			if err != nil {
				var apiErr *api.Error
				if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
					return cmdutil.WithHint(err, "Is the base URL an emulator? Start one with `zupy emulator start`")
				}
				return err
			}
			if len(box.Messages) == 0 {
				msg := "the emulator has sent no code"
				if dest != "" {
					msg += " to " + dest
				}
				return &cmdutil.CodedError{Exit: cmdutil.ExitNotFound, Code: api.CodeNotFound, Msg: msg,
					Hint: "Request one with `zupy login --request-only`"}
			}
			last := box.Messages[len(box.Messages)-1]
			if f.JSON() {
				return ui.WriteJSON(f.IO.Out, last)
			}
			_, err = fmt.Fprintln(f.IO.Out, last.Code)
			return err
		},
	}
	cmd.Flags().StringVar(&destination, "destination", "", "E-mail address or WhatsApp number the code was sent to")
	return cmd
}
