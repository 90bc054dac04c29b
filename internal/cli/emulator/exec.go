package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	zemulator "github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/ui"
)

// The exit codes of `emulator exec` when CMD cannot be run, as a shell says
// them: 127 when it is not found, 126 when it is found but cannot be
// executed (not executable, a directory, not a program).
const (
	ExitCommandNotFound = 127
	ExitCannotExecute   = 126
)

// execConfigPrefix starts the name of CMD's temporary configuration
// directory, followed by zupy's process id: a directory whose process is
// gone (zupy was killed) is swept by the next run.
const execConfigPrefix = "zupy-exec-config-"

// Environment variables `emulator exec` gives CMD.
const (
	EnvBaseURL         = "ZUPY_BASE_URL"
	EnvEmulatorOrigin  = "ZUPY_EMULATOR_ORIGIN"
	envConfigDir       = "ZUPY_CONFIG_DIR"
	envProfile         = "ZUPY_PROFILE"
	execKeyName        = "zupy emulator exec"
	execReadyTimeout   = 10 * time.Second
	execLogLinesOnFail = 20
)

// ExecOptions is what `zupy emulator exec` uses.
type ExecOptions struct {
	// IO gives CMD its streams; whether stdin is a terminal decides if
	// Ctrl-C is passed on (on a terminal it reaches CMD by itself).
	IO *ui.IOStreams
	// Environ is the environment CMD inherits (before ours is added).
	Environ func() []string
	// ClientFor makes a client of the emulator's base URL.
	ClientFor func(baseURL string) (*api.Client, error)

	DataDir      string
	InMemory     bool
	WithSession  bool
	WithKey      string
	KeyRateLimit int
	NoUI         bool

	// Scopes is WithKey parsed; Command is CMD and its arguments.
	Scopes  []string
	Command []string
}

// NewCmdExec is `zupy emulator exec`.
func NewCmdExec(f *cmdutil.Factory, runF func(*ExecOptions) error) *cobra.Command {
	o := &ExecOptions{IO: f.IOStreams, Environ: os.Environ, ClientFor: f.ClientFor}
	cmd := &cobra.Command{
		Use:   "exec [flags] -- CMD [ARGS...]",
		Short: "Run a command against a fresh emulator, then stop it",
		Long: `Start a fresh emulator on a free loopback port, wait until it answers, run
CMD with ZUPY_BASE_URL (and ZUPY_EMULATOR_ORIGIN, for the /_emulator routes)
in its environment, then stop the emulator and exit with CMD's exit code: the
way to run a partner's own integration tests in CI.

--with-session logs the demo partner in and gives CMD ZUPY_SESSION_TOKEN;
--with-key SCOPES creates a key with those scopes and gives CMD ZUPY_API_KEY.
These secrets reach CMD only through its environment, never its arguments or
zupy's output. CMD never sends a real credential to the emulator: an inherited
ZUPY_SESSION_TOKEN or ZUPY_API_KEY is removed, ZUPY_PROFILE is unset, and
ZUPY_CONFIG_DIR points to a fresh temporary configuration (credentials kept in
a file there, not the keyring), removed afterwards, so zupy commands run by CMD
see only the emulator's credentials, never your profile's session or keys.

The emulator keeps its data in memory (the default) or in --data-dir. Its log
is kept quiet and shown (its last lines) only when it fails. Signals sent to
zupy (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are passed on to CMD. A CMD that cannot
be found exits 127, one that cannot be executed 126, as in a shell.

Without a terminal, CMD runs in a process group of its own, and whatever it
leaves running is killed when it ends. On Linux, CMD is also killed when zupy
dies, even by SIGKILL; the temporary configuration such a run leaves behind is
removed by the next one.`,
		Example: `  zupy emulator exec -- go test ./integration/...                          # your tests
  zupy emulator exec --with-key loyalty:read,customer:read -- npm test     # your tests
  zupy emulator exec --with-session -- sh -c 'zupy keys list'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.parse(cmd, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return execRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.DataDir, "data-dir", "", "`DIR` of the SQLite database (default: in memory)")
	fl.BoolVar(&o.InMemory, "in-memory", false, "Keep everything in memory (the default)")
	fl.BoolVar(&o.WithSession, "with-session", false, "Log the demo partner in and export ZUPY_SESSION_TOKEN")
	fl.StringVar(&o.WithKey, "with-key", "", "Create a key with these comma-separated `SCOPES` and export ZUPY_API_KEY")
	fl.IntVar(&o.KeyRateLimit, "key-rate-limit", apikey.DefaultRateLimit, "Rate limit of the --with-key key, `N` requests per minute (1-2000)")
	fl.BoolVar(&o.NoUI, "no-ui", false, "Do not serve the dashboard")
	_ = cmd.RegisterFlagCompletionFunc("with-key", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done := toComplete[:strings.LastIndex(toComplete, ",")+1]
		var out []string
		for _, n := range scope.Names() {
			if strings.HasPrefix(done+n, toComplete) {
				out = append(out, done+n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
	return cmd
}

// parse checks the flags and the command line.
func (o *ExecOptions) parse(cmd *cobra.Command, args []string) error {
	switch dash := cmd.ArgsLenAtDash(); {
	case dash < 0:
		return cmdutil.WithHint(&cmdutil.UsageError{Err: errors.New("missing -- before the command to run")},
			"Run `zupy emulator exec -- CMD [ARGS...]`, e.g. `zupy emulator exec -- go test ./...`")
	case dash > 0:
		return cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("unexpected argument %q before --", args[0])},
			"Put the command to run after --: `zupy emulator exec [flags] -- CMD [ARGS...]`")
	case len(args) == 0:
		return cmdutil.WithHint(&cmdutil.UsageError{Err: errors.New("no command after --")},
			"Run `zupy emulator exec -- CMD [ARGS...]`")
	}
	if o.InMemory && o.DataDir != "" {
		return cmdutil.Usagef("--data-dir and --in-memory cannot be used together")
	}
	o.InMemory = o.DataDir == ""
	if cmd.Flags().Changed("with-key") {
		scopes, err := scope.Normalize(scope.Split(o.WithKey))
		if err != nil {
			return cmdutil.Usagef("invalid --with-key: %v", err)
		}
		o.Scopes = scopes
	}
	if cmd.Flags().Changed("key-rate-limit") {
		if o.Scopes == nil {
			return cmdutil.Usagef("--key-rate-limit needs --with-key")
		}
		if err := apikey.ValidateRateLimit(o.KeyRateLimit); err != nil {
			return cmdutil.Usagef("invalid --key-rate-limit: %v", err)
		}
	}
	o.Command = args
	return nil
}

// execRun starts the emulator, runs CMD against it and stops it. CMD's exit
// code is returned as a SilentError (CMD has said what it had to say).
func execRun(ctx context.Context, o *ExecOptions) error {
	path, err := exec.LookPath(o.Command[0])
	if err != nil {
		return cannotRun(o.IO.ErrOut, o.Command[0], err)
	}
	// What an earlier run killed by SIGKILL could not remove.
	sweepConfigDirs(os.TempDir())
	logs := newTailBuffer(200)
	emu, err := startExecEmulator(ctx, o, logs)
	if errors.Is(err, zemulator.ErrDataDirInUse) {
		return dataDirInUseHint(err)
	}
	if err != nil {
		return emulatorFailed(o.IO.ErrOut, err, logs)
	}
	defer emu.stop()

	// zupy commands run by CMD get a configuration of their own, so that
	// the profile's stored session and default key (config file, keyring)
	// never reach the emulator: only the credentials it made are seen.
	cfgDir, err := execConfigDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(cfgDir)
	env := withoutVars(o.Environ(), EnvBaseURL, EnvEmulatorOrigin, credentials.EnvSessionToken, credentials.EnvAPIKey, envConfigDir, envProfile)
	env = append(env, EnvBaseURL+"="+emu.base, EnvEmulatorOrigin+"="+emu.origin, envConfigDir+"="+cfgDir)
	if o.WithSession || o.Scopes != nil {
		secrets, err := emu.credentials(ctx, o)
		if err != nil {
			return emulatorFailed(o.IO.ErrOut, err, logs)
		}
		env = append(env, secrets...)
	}
	if o.NoUI {
		fmt.Fprintf(o.IO.ErrOut, "zupy emulator exec: emulator at %s\n", emu.base)
	} else {
		fmt.Fprintf(o.IO.ErrOut, "zupy emulator exec: emulator at %s (dashboard %s%s)\n", emu.base, emu.origin, zemulator.DashboardPath)
	}

	c := exec.Command(path, o.Command[1:]...)
	c.Args[0] = o.Command[0]
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	// CMD dies with zupy (on Linux, even when zupy is SIGKILLed) and,
	// without a terminal, runs in a process group of its own, killed when
	// CMD ends, so that nothing it started outlives the emulator. On a
	// terminal it stays in the foreground group, where Ctrl-C and the
	// terminal itself reach it.
	ownGroup := !o.IO.IsStdinTTY() && !o.IO.IsStdoutTTY() && !o.IO.IsStderrTTY()
	configureCmd(c, ownGroup)
	// When CMD's streams are not files, Wait also waits for what copies
	// them, which a process CMD left in the background keeps open: bound
	// that wait, so that killGroup can end it.
	c.WaitDelay = time.Second
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(signals)
	if err := c.Start(); err != nil {
		return cannotRun(o.IO.ErrOut, o.Command[0], err)
	}
	if ownGroup {
		defer killGroup(c)
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	for {
		select {
		case sig := <-signals:
			// On a terminal, Ctrl-C already reached CMD (same foreground
			// process group): passing it on would make it a second Ctrl-C.
			if sig == syscall.SIGINT && o.IO.IsStdinTTY() {
				continue
			}
			_ = c.Process.Signal(sig)
		case err := <-waited:
			emu.stop()
			return exitOf(c, err)
		}
	}
}

// execConfigDir makes CMD's configuration directory: a fresh temporary one
// whose default profile keeps credentials in a file there (never the OS
// keyring, which holds the user's real ones).
func execConfigDir() (string, error) {
	dir, err := os.MkdirTemp("", execConfigPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("make a configuration directory for CMD: %w", err)
	}
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err == nil {
		err = cfg.Set(config.DefaultProfile, config.CredentialStore, "file")
	}
	if err == nil {
		err = cfg.Save()
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("make a configuration directory for CMD: %w", err)
	}
	return dir, nil
}

// sweepConfigDirs removes from tmp the configuration directories of runs
// whose zupy process is gone; those of live processes (and names it cannot
// read) are left alone.
func sweepConfigDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), execConfigPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		// PID-RANDOM; the names of older zupy versions (RANDOM alone) say
		// nothing of their process and are left.
		digits, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(digits)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(tmp, e.Name()))
	}
}

// cannotRun reports a CMD that cannot be run: a line naming it, and the exit
// code a shell gives: 127 when it is not found, 126 when it is found but
// cannot be executed (also a name on PATH that is there only without the
// execute permission, which exec.LookPath skips).
func cannotRun(w io.Writer, name string, err error) error {
	code, kind, cause := ExitCannotExecute, "command_not_executable", unwrapExecError(err)
	switch {
	case errors.Is(err, exec.ErrDot):
		code, kind = ExitCommandNotFound, "command_not_found"
	case errors.Is(err, exec.ErrNotFound):
		if p := nonExecutableOnPath(name); p != "" {
			cause = fmt.Errorf("%s: %w", p, fs.ErrPermission)
			break
		}
		code, kind = ExitCommandNotFound, "command_not_found"
	case errors.Is(err, fs.ErrNotExist):
		code, kind = ExitCommandNotFound, "command_not_found"
	}
	fmt.Fprintf(w, "Error: %s - cannot run %q: %v\n", kind, name, cause)
	return &cmdutil.SilentError{Code: code}
}

// nonExecutableOnPath is the first file named name in a PATH directory,
// "" when there is none (or name holds a path separator).
func nonExecutableOnPath(name string) string {
	if strings.ContainsRune(name, os.PathSeparator) || strings.Contains(name, "/") {
		return ""
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// exitOf is CMD's outcome as zupy's: nil for 0, its code otherwise, and 128
// plus the signal's number when a signal ended it, as a shell says it.
func exitOf(c *exec.Cmd, err error) error {
	var ee *exec.ExitError
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // CMD ended; only its output's copying was cut
	}
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("wait for %s: %w", c.Args[0], err)
	}
	st := c.ProcessState
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &cmdutil.SilentError{Code: 128 + int(ws.Signal())}
	}
	if code := st.ExitCode(); code != 0 {
		return &cmdutil.SilentError{Code: code}
	}
	return nil
}

func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// withoutVars is env without the variables named.
func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env)+4)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if name == n {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// execEmulator is the emulator `exec` runs in-process.
type execEmulator struct {
	srv       *zemulator.Server
	stopServe context.CancelFunc
	served    chan struct{} // closed when Serve has returned serveErr
	serveErr  error
	base      string // http://127.0.0.1:PORT/v1
	origin    string // http://127.0.0.1:PORT
	client    *api.Client
	stopOnce  sync.Once
}

// startExecEmulator opens the emulator, serves it on a free loopback port
// and waits until it answers.
func startExecEmulator(ctx context.Context, o *ExecOptions, logs io.Writer) (*execEmulator, error) {
	cfg := zemulator.Config{
		InMemory: o.InMemory, DataDir: o.DataDir, NoUI: o.NoUI,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		// Messages (the codes "sent") go nowhere: the outbox route and the
		// dashboard have them, the log shown on failure must not.
	}
	srv, err := zemulator.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("listen on a loopback port: %w", err)
	}
	e := &execEmulator{
		srv:    srv,
		served: make(chan struct{}),
		origin: "http://" + ln.Addr().String(),
	}
	e.base = e.origin + "/v1"
	// The emulator lives until CMD ends, not until zupy's context does: a
	// signal to zupy goes on to CMD, which decides when it is done.
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	e.stopServe = stopServe
	go func() {
		e.serveErr = srv.Serve(serveCtx, ln, zemulator.ServeOptions{})
		close(e.served)
	}()
	if e.client, err = o.ClientFor(e.base); err != nil {
		e.stop()
		return nil, err
	}
	if err := e.waitReady(ctx); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// waitReady polls the outbox route until the emulator answers it.
func (e *execEmulator) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, execReadyTimeout)
	defer cancel()
	for {
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		_, _, err := e.client.Outbox(rctx, "")
		rcancel()
		if err == nil {
			return nil
		}
		select {
		case <-e.served:
			return fmt.Errorf("the emulator stopped serving: %v", e.serveErr)
		case <-ctx.Done():
			return fmt.Errorf("the emulator did not answer within %s: %w", execReadyTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// credentials logs the demo partner in through the emulator's own OTP flow
// and, with --with-key, creates the key; it returns the variables for CMD.
func (e *execEmulator) credentials(ctx context.Context, o *ExecOptions) ([]string, error) {
	ch, _, err := e.client.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: zemulator.DefaultPartnerEmail}, false)
	if err != nil {
		return nil, fmt.Errorf("log the demo partner in: %w", err)
	}
	box, _, err := e.client.Outbox(ctx, zemulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		return nil, fmt.Errorf("log the demo partner in: no code in the outbox (%v)", err)
	}
	login, _, err := e.client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[len(box.Messages)-1].Code})
	if err != nil {
		return nil, fmt.Errorf("log the demo partner in: %w", err)
	}
	var env []string
	if o.WithSession {
		env = append(env, credentials.EnvSessionToken+"="+login.SessionToken)
	}
	if o.Scopes != nil {
		limit := o.KeyRateLimit
		k, _, err := e.client.CreateKey(ctx, login.SessionToken, api.CreateKeyRequest{Name: execKeyName, Permissions: o.Scopes, RateLimit: &limit})
		if err != nil {
			return nil, fmt.Errorf("create the --with-key key: %w", err)
		}
		env = append(env, credentials.EnvAPIKey+"="+k.APIKey)
	}
	return env, nil
}

// stop shuts the server down (ending dashboard streams) and closes the
// emulator. Safe to call more than once.
func (e *execEmulator) stop() {
	e.stopOnce.Do(func() {
		e.stopServe()
		<-e.served
		_ = e.srv.Close()
	})
}

// emulatorFailed says the emulator failed and shows its log's last lines.
func emulatorFailed(w io.Writer, err error, logs *tailBuffer) error {
	if lines := logs.Last(execLogLinesOnFail); len(lines) > 0 {
		fmt.Fprintln(w, "The emulator's log ended with:")
		for _, l := range lines {
			fmt.Fprintln(w, "  "+l)
		}
	}
	return cmdutil.WithHint(fmt.Errorf("emulator failed: %w", err), "Run `zupy emulator start` to see the emulator's whole log")
}

// tailBuffer keeps the last lines written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := strings.IndexByte(string(t.partial), '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.partial[:i]))
		t.partial = t.partial[i+1:]
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	return len(p), nil
}

// Last returns up to n of the last complete lines.
func (t *tailBuffer) Last(n int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.partial) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(t.partial))
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]string(nil), lines...)
}
