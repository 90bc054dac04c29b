package cmdutil

import (
	"fmt"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/build"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
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
	f.Resolve = resolve.New(resolve.Deps{                // depends on Settings, Config, Keyring, IOStreams, the profile, ZUPY_API_KEY and ZUPY_SESSION_TOKEN
		IO: f.IOStreams, Profile: profile, Getenv: getenv, Settings: func() (*config.Resolver, error) { return f.Settings() },
		Config:  func() (*config.File, error) { return f.Config() },
		Keyring: keyringFunc(f), CredentialsFile: f.CredentialsFilePath,
		StateDir: func() (string, error) { return config.StateDir(f.Getenv) },
	})
	f.ClientFor = clientForFunc(f)                   // depends on Resolve (plain http), Global (--retries, --timeout, --debug), ZUPY_DEBUG, IOStreams
	f.Client = clientFunc(f, f.ClientFor)            // depends on Resolve (base URL), ClientFor
	f.QuietClient = clientFunc(f, quietClientFor(f)) // depends on Resolve (base URL, plain http), Global (--timeout, --debug)
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

func clientForFunc(f *Factory) func(string) (*api.Client, error) {
	return func(baseURL string) (*api.Client, error) {
		if err := f.Resolve.RefuseInsecureHTTP(baseURL); err != nil {
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
		if err := f.Resolve.RefuseInsecureHTTP(baseURL); err != nil {
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
		base, err := f.Resolve.BaseURL()
		if err != nil {
			return nil, err
		}
		return clientFor(base.Value)
	}
}

// keyringFunc is the OS keyring store (f.Keyring in tests), its calls
// bounded by KeyringTimeout.
func keyringFunc(f *Factory) func() credentials.Store {
	return func() credentials.Store {
		backend := f.Keyring
		if backend == nil {
			backend = credentials.OSBackend()
		}
		return credentials.NewKeyring(backend, f.KeyringTimeout())
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
