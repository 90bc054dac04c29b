package cmdutil

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Global options (SPEC §2), filled by the root command's flags.
type Global struct {
	Profile string
	BaseURL string
	Output  string
	NoColor bool
	Debug   bool
	Retries int
	Timeout time.Duration

	// Flags is the set the global flags live in, to tell set from default.
	Flags *pflag.FlagSet
}

// Keyring timeouts (SPEC §3): short when nobody can answer an unlock prompt.
const (
	KeyringTimeoutHeadless    = 3 * time.Second
	KeyringTimeoutInteractive = 60 * time.Second
)

// Factory hands out what commands need, each built on first use, so that
// `--help`, `--version`, `scopes` and `config` never open the keyring or the
// network.
type Factory struct {
	IO     *ui.IOStreams
	Getenv func(string) string
	Now    func() time.Time
	Global Global

	// KeyringBackend is the OS keyring; tests inject a fake.
	KeyringBackend credentials.Backend

	configOnce sync.Once
	config     *config.File
	configErr  error

	promptOnce sync.Once
	prompter   *ui.Prompter
}

// New returns a factory over the streams and environment.
func New(io *ui.IOStreams, getenv func(string) string) *Factory {
	return &Factory{IO: io, Getenv: getenv, Now: time.Now}
}

// JSON reports whether -o json was asked for.
func (f *Factory) JSON() bool { return f.Global.Output == "json" }

// Profile is the active profile: --profile > ZUPY_PROFILE > "default".
func (f *Factory) Profile() string {
	if f.Global.Flags != nil {
		if fl := f.Global.Flags.Lookup("profile"); fl != nil && fl.Changed {
			return f.Global.Profile
		}
	}
	if p := f.Getenv("ZUPY_PROFILE"); p != "" {
		return p
	}
	return config.DefaultProfile
}

// ConfigDir is the configuration directory.
func (f *Factory) ConfigDir() (string, error) { return config.Dir(f.Getenv) }

// ConfigPath is the config file's path.
func (f *Factory) ConfigPath() (string, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "config.yaml"), nil
}

// Config loads the config file once.
func (f *Factory) Config() (*config.File, error) {
	f.configOnce.Do(func() {
		path, err := f.ConfigPath()
		if err != nil {
			f.configErr = err
			return
		}
		f.config, f.configErr = config.Load(path)
	})
	return f.config, f.configErr
}

// Settings resolves the active profile's effective settings.
func (f *Factory) Settings() (*config.Resolver, error) {
	file, err := f.Config()
	if err != nil {
		return nil, err
	}
	if err := config.ValidateProfile(f.Profile()); err != nil {
		return nil, err
	}
	return &config.Resolver{File: file, Profile: f.Profile(), Flags: f.Global.Flags, Getenv: f.Getenv}, nil
}

// Setting returns one effective setting of the active profile.
func (f *Factory) Setting(key string) (config.Value, error) {
	r, err := f.Settings()
	if err != nil {
		return config.Value{}, err
	}
	return r.Get(key)
}

// DebugWriter is where --debug (or ZUPY_DEBUG) traces go: stderr, or nil.
func (f *Factory) DebugWriter() io.Writer {
	if f.Global.Debug {
		return f.IO.ErrOut
	}
	switch strings.ToLower(strings.TrimSpace(f.Getenv("ZUPY_DEBUG"))) {
	case "", "0", "false", "no":
		return nil
	}
	return f.IO.ErrOut
}

// APIClient returns a client of the API at baseURL with the global retry,
// timeout and debug options. Retries are announced on stderr.
func (f *Factory) APIClient(baseURL string) *api.Client {
	return api.New(api.Options{
		BaseURL:   baseURL,
		UserAgent: build.UserAgent(),
		Retries:   f.Global.Retries,
		Timeout:   f.Global.Timeout,
		Debug:     f.DebugWriter(),
		OnRetry: func(wait time.Duration, attempt, max int) {
			fmt.Fprintf(f.IO.ErrOut, "rate limited; retrying in %s (%d/%d)\n", formatWait(wait), attempt, max)
		},
		OnNetworkRetry: func(err error, wait time.Duration, attempt, max int) {
			fmt.Fprintf(f.IO.ErrOut, "network error (%v); retrying in %s (%d/%d)\n", err, formatWait(wait), attempt, max)
		},
	})
}

func formatWait(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%ds", int((d+time.Second/2)/time.Second))
}

// Client returns a client of the active profile's base URL.
func (f *Factory) Client() (*api.Client, error) {
	base, err := f.Setting(config.BaseURL)
	if err != nil {
		return nil, err
	}
	return f.APIClient(base.Value), nil
}

// KeyringTimeout bounds every keyring call: 60 s when a person can answer
// an unlock prompt, 3 s otherwise.
func (f *Factory) KeyringTimeout() time.Duration {
	if f.IO.CanPrompt() {
		return KeyringTimeoutInteractive
	}
	return KeyringTimeoutHeadless
}

// CredentialStore is the active profile's store: the OS keyring, or the
// 0600 credentials file when the profile's credential_store is "file".
func (f *Factory) CredentialStore() (credentials.Store, error) {
	v, err := f.Setting(config.CredentialStore)
	if err != nil {
		return nil, err
	}
	return f.storeFor(v.Value)
}

func (f *Factory) storeFor(kind string) (credentials.Store, error) {
	if kind == "file" {
		path, err := f.CredentialsFilePath()
		if err != nil {
			return nil, err
		}
		return credentials.NewFile(path), nil
	}
	return f.KeyringStore()
}

// KeyringStore is the OS keyring, every call bounded by KeyringTimeout.
func (f *Factory) KeyringStore() (credentials.Store, error) {
	backend := f.KeyringBackend
	if backend == nil {
		backend = credentials.OSBackend()
	}
	return credentials.NewKeyring(backend, f.KeyringTimeout()), nil
}

// FileStore is the opt-in credentials file store.
func (f *Factory) FileStore() (credentials.Store, error) { return f.storeFor("file") }

// CredentialsFilePath is <config dir>/credentials.yaml.
func (f *Factory) CredentialsFilePath() (string, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "credentials.yaml"), nil
}

// Resolver looks up credentials for the active profile: environment first,
// then the profile's store.
func (f *Factory) Resolver() (credentials.Resolver, error) {
	store, err := f.CredentialStore()
	if err != nil {
		return credentials.Resolver{}, err
	}
	return credentials.Resolver{Store: store, Getenv: f.Getenv, Profile: f.Profile()}, nil
}

// Prompter asks the person at the terminal; it refuses without one.
func (f *Factory) Prompter() *ui.Prompter {
	f.promptOnce.Do(func() { f.prompter = ui.NewPrompter(f.IO) })
	return f.prompter
}
