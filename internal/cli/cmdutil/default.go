package cmdutil

import (
	"fmt"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// New wires the factory over the streams and environment. This is the one
// place dependencies are put together; each line says what it depends on.
func New(io *ui.IOStreams, getenv func(string) string) *Factory {
	f := &Factory{IOStreams: io, Getenv: getenv, Now: time.Now}        // no dependencies
	f.Profile = profileFunc(f)                                         // depends on Global (--profile) and ZUPY_PROFILE
	f.ConfigDir = func() (string, error) { return config.Dir(getenv) } // depends on ZUPY_CONFIG_DIR, XDG_CONFIG_HOME, HOME
	f.Config = configFunc(f)                                           // depends on ConfigDir
	f.FileStore = fileStoreFunc(f)                                     // depends on ConfigDir
	f.Prompter = prompterFunc(io)                                      // depends on IOStreams
	wireProfile(f, f.Profile, getenv, func() *pflag.FlagSet { return f.Global.Flags })
	f.ForProfile = forProfileFunc(f) // depends on everything above, for another profile
	return f
}

// wireProfile sets the dependencies that belong to one profile: its
// settings and what they decide. getenv and flags are the environment and
// flags that speak for that profile (none, for a profile other than the
// active one).
func wireProfile(f *Factory, profile func() string, getenv func(string) string, flags func() *pflag.FlagSet) {
	f.Settings = settingsFunc(f, profile, getenv, flags) // depends on Config, the profile, its flags and environment
	f.ClientFor = clientForFunc(f)                       // depends on Settings (allow_insecure_http), Global (--retries, --timeout, --debug), ZUPY_DEBUG, IOStreams
	f.Client = clientFunc(f, f.ClientFor)                // depends on Settings (base_url), ClientFor
	f.QuietClient = clientFunc(f, quietClientFor(f))     // depends on Settings (base_url, allow_insecure_http), Global (--timeout, --debug)
	f.Store = storeFunc(f)                               // depends on Settings (credential_store), Keyring, IOStreams (timeout), FileStore
	f.Resolver = resolverFunc(f, profile, getenv)        // depends on Store, the profile, ZUPY_API_KEY and ZUPY_SESSION_TOKEN
}

func profileFunc(f *Factory) func() string {
	return func() string {
		if fs := f.Global.Flags; fs != nil {
			if fl := fs.Lookup("profile"); fl != nil && fl.Changed {
				return f.Global.Profile
			}
		}
		if p := f.Getenv("ZUPY_PROFILE"); p != "" {
			return p
		}
		return config.DefaultProfile
	}
}

func configFunc(f *Factory) func() (*config.File, error) {
	var once sync.Once
	var file *config.File
	var err error
	return func() (*config.File, error) {
		once.Do(func() {
			var path string
			if path, err = f.ConfigPath(); err != nil {
				return
			}
			file, err = config.Load(path)
		})
		return file, err
	}
}

func settingsFunc(f *Factory, profile func() string, getenv func(string) string, flags func() *pflag.FlagSet) func() (*config.Resolver, error) {
	return func() (*config.Resolver, error) {
		file, err := f.Config()
		if err != nil {
			return nil, err
		}
		if err := config.ValidateProfile(profile()); err != nil {
			return nil, err
		}
		return &config.Resolver{File: file, Profile: profile(), Flags: flags(), Getenv: getenv}, nil
	}
}

// RefuseInsecureHTTP refuses (a usage error) a base URL that would send a
// credential in clear text over a network: plain http to a host other than
// loopback or a single-label name, unless allow_insecure_http (the flag,
// the variable or the profile's setting) opts in. Every API client is built
// through it, so no command path escapes it (docs/security-model.md#plain-http).
func RefuseInsecureHTTP(settings func() (*config.Resolver, error), baseURL string) error {
	host := config.PlainHTTPHost(baseURL)
	if host == "" {
		return nil
	}
	r, err := settings()
	if err != nil {
		return UsageIf(err)
	}
	allow, err := r.Get(config.AllowInsecureHTTP)
	if err != nil {
		return UsageIf(err)
	}
	if allow.Value == "true" {
		return nil
	}
	return WithHint(Usagef("refusing plain http to %s: a key or session sent there crosses the network in clear text", host),
		"Use https, or opt in with --allow-insecure-http, ZUPY_ALLOW_INSECURE_HTTP=1 or `zupy config set allow_insecure_http true`")
}

func clientForFunc(f *Factory) func(string) (*api.Client, error) {
	return func(baseURL string) (*api.Client, error) {
		if err := RefuseInsecureHTTP(f.Settings, baseURL); err != nil {
			return nil, err
		}
		errOut := f.IOStreams.ErrOut
		return api.New(api.Options{
			BaseURL:   baseURL,
			UserAgent: build.UserAgent(),
			Retries:   f.Global.Retries,
			Timeout:   f.Global.Timeout,
			Debug:     f.DebugWriter(),
			Sleep:     f.Sleep,          // read at call time: a test sets it after New
			Busy:      f.IOStreams.Busy, // a spinner on a terminal's stderr
			OnRetry: func(wait time.Duration, attempt, max int) {
				fmt.Fprintf(errOut, "rate limited; retrying in %s (%d/%d)\n", formatWait(wait), attempt, max)
			},
			OnNetworkRetry: func(err error, wait time.Duration, attempt, max int) {
				fmt.Fprintf(errOut, "network error (%v); retrying in %s (%d/%d)\n", err, formatWait(wait), attempt, max)
			},
		}), nil
	}
}

func quietClientFor(f *Factory) func(string) (*api.Client, error) {
	return func(baseURL string) (*api.Client, error) {
		if err := RefuseInsecureHTTP(f.Settings, baseURL); err != nil {
			return nil, err
		}
		return api.New(api.Options{BaseURL: baseURL, UserAgent: build.UserAgent(), Timeout: f.Global.Timeout, Debug: f.DebugWriter()}), nil
	}
}

func formatWait(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%ds", int((d+time.Second/2)/time.Second))
}

func clientFunc(f *Factory, clientFor func(string) (*api.Client, error)) func() (*api.Client, error) {
	return func() (*api.Client, error) {
		base, err := f.Setting(config.BaseURL)
		if err != nil {
			return nil, err
		}
		return clientFor(base.Value)
	}
}

func fileStoreFunc(f *Factory) func() (credentials.Store, error) {
	return func() (credentials.Store, error) {
		path, err := f.CredentialsFilePath()
		if err != nil {
			return nil, err
		}
		return credentials.NewFile(path), nil
	}
}

func storeFunc(f *Factory) func() (credentials.Store, error) {
	return func() (credentials.Store, error) {
		v, err := f.Setting(config.CredentialStore)
		if err != nil {
			return nil, err
		}
		if v.Value == "file" {
			return f.FileStore()
		}
		backend := f.Keyring
		if backend == nil {
			backend = credentials.OSBackend()
		}
		return credentials.NewKeyring(backend, f.KeyringTimeout()), nil
	}
}

func resolverFunc(f *Factory, profile func() string, getenv func(string) string) func() (credentials.Resolver, error) {
	return func() (credentials.Resolver, error) {
		store, err := f.Store()
		if err != nil {
			return credentials.Resolver{}, err
		}
		return credentials.Resolver{Store: store, Getenv: getenv, Profile: profile()}, nil
	}
}

func prompterFunc(io *ui.IOStreams) func() *ui.Prompter {
	var once sync.Once
	var p *ui.Prompter
	return func() *ui.Prompter {
		once.Do(func() { p = ui.NewPrompter(io) })
		return p
	}
}

func forProfileFunc(f *Factory) func(string) *Factory {
	return func(name string) *Factory {
		if name == f.Profile() {
			return f
		}
		other := *f
		other.Profile = func() string { return name }
		noEnv := func(string) string { return "" }
		wireProfile(&other, other.Profile, noEnv, func() *pflag.FlagSet { return nil })
		other.ForProfile = f.ForProfile
		return &other
	}
}
