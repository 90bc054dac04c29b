package cmdutil

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Global options (docs/production-and-staging.md, `zupy help environment`), filled by the root command's flags.
type Global struct {
	Profile string
	BaseURL string
	Output  string
	NoColor bool
	Debug   bool
	// AllowInsecureHTTP lets the base URL be plain http to a remote host.
	AllowInsecureHTTP bool
	Retries           int
	Timeout           time.Duration
	// JQ and Template filter the JSON output (--jq, --template).
	JQ       string
	Template string

	// Flags is the set the global flags live in, to tell set from default.
	Flags *pflag.FlagSet
}

// Keyring timeouts (docs/security-model.md): short when nobody can answer an unlock prompt.
const (
	KeyringTimeoutHeadless    = 3 * time.Second
	KeyringTimeoutInteractive = 60 * time.Second
)

// Factory hands out what commands need. Every dependency is a function that
// builds its value on first use, so that `--help`, `--version`, `scopes` and
// `config` never open the keyring or the network, and so that a test can
// replace any one of them. New wires them, in one place.
//
// A command copies the fields it uses into its Options; it never keeps the
// factory, and never changes it.
type Factory struct {
	IOStreams *ui.IOStreams
	Getenv    func(string) string
	Now       func() time.Time
	// Global holds the global flags; only the root command writes it.
	Global Global
	// Keyring is the OS keyring backend; nil means the real one. Tests
	// inject a fake before the first command runs.
	Keyring credentials.Backend
	// Sleep waits before retries and through `ping --wait`; nil means a
	// timer. Tests inject one that moves the emulator's clock instead.
	Sleep func(ctx context.Context, d time.Duration) error

	// Profile is the active profile: --profile > ZUPY_PROFILE > "default".
	Profile func() string
	// ConfigDir is the configuration directory.
	ConfigDir func() (string, error)
	// Config is config.yaml, loaded once and shared by every profile.
	Config func() (*config.File, error)
	// Settings resolves the profile's effective settings.
	Settings func() (*config.Resolver, error)
	// ClientFor is a client of baseURL with the global retry, timeout and
	// debug options; retries are announced on stderr. A plain-http URL of a
	// remote host is refused (Resolve.RefuseInsecureHTTP).
	ClientFor func(baseURL string) (*api.Client, error)
	// Client is a client of the profile's base URL (Resolve.BaseURL).
	Client func() (*api.Client, error)
	// QuietClient is a client of the profile's base URL that makes one
	// attempt and prints nothing: for shell completion, where a <Tab>
	// neither waits out retries nor prints about them.
	QuietClient func() (*api.Client, error)
	// Resolve decides, for the profile, the session for a base URL, the
	// API key, the base URL of each kind of request and the store a secret
	// is kept in (internal/cli/resolve). Commands never decide these.
	Resolve *resolve.Resolver
	// Prompter asks the person at the terminal; it refuses without one.
	Prompter func() *ui.Prompter
	// ForProfile is this factory for another profile: its own settings,
	// store and client. Flags and environment variables speak for the
	// active profile only, so another profile reads its settings from the
	// config file.
	ForProfile func(name string) *Factory
}

// JSON reports whether -o json was asked for.
func (f *Factory) JSON() bool { return f.Global.Output == "json" }

// Setting returns one effective setting of the profile.
func (f *Factory) Setting(key string) (config.Value, error) {
	r, err := f.Settings()
	if err != nil {
		return config.Value{}, err
	}
	return r.Get(key)
}

// ConfigPath is the config file's path.
func (f *Factory) ConfigPath() (string, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config.yaml"), nil
}

// CredentialsFilePath is <config dir>/credentials.yaml.
func (f *Factory) CredentialsFilePath() (string, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "credentials.yaml"), nil
}

// DebugWriter is where --debug (or ZUPY_DEBUG) traces go: stderr, or nil.
func (f *Factory) DebugWriter() io.Writer {
	if f.Global.Debug {
		return f.IOStreams.ErrOut
	}
	switch strings.ToLower(strings.TrimSpace(f.Getenv("ZUPY_DEBUG"))) {
	case "", "0", "false", "no":
		return nil
	}
	return f.IOStreams.ErrOut
}

// KeyringTimeout bounds every keyring call: 60 s when a person can answer
// an unlock prompt, 3 s otherwise.
func (f *Factory) KeyringTimeout() time.Duration {
	if f.IOStreams.CanPrompt() {
		return KeyringTimeoutInteractive
	}
	return KeyringTimeoutHeadless
}

// BindGlobalFlags defines the global flags (docs/production-and-staging.md, `zupy help environment`) on fs, filling g.
func BindGlobalFlags(fs *pflag.FlagSet, g *Global) {
	g.Flags = fs
	fs.StringVar(&g.Profile, "profile", "default", "Configuration profile `NAME` to use (env ZUPY_PROFILE)")
	fs.StringVar(&g.BaseURL, "base-url", "", "`URL` of the Zupy API (env ZUPY_BASE_URL)")
	fs.BoolVar(&g.AllowInsecureHTTP, "allow-insecure-http", false, "Allow a plain-http base URL to a remote host (env ZUPY_ALLOW_INSECURE_HTTP)")
	fs.StringVarP(&g.Output, "output", "o", "text", "Output `FORMAT`: text or json")
	fs.BoolVar(&g.NoColor, "no-color", false, "Disable colour (also NO_COLOR)")
	fs.BoolVar(&g.Debug, "debug", false, "Trace HTTP requests on stderr, secrets redacted (env ZUPY_DEBUG)")
	fs.IntVar(&g.Retries, "retries", 3, "Retries (`N`) of a 429, and for GET of a connection reset, a timeout or a 502/503/504 (never of a refused connection, an unknown host or a TLS failure)")
	fs.DurationVar(&g.Timeout, "timeout", 30*time.Second, "Timeout of each HTTP request, a `DURATION` like 30s or 2m")
	fs.StringVarP(&g.JQ, "jq", "q", "", "Filter the JSON output with a jq `EXPRESSION` (implies -o json)")
	fs.StringVarP(&g.Template, "template", "t", "", "Format the JSON output with a Go `TEMPLATE` (implies -o json)")
}
