// Package config reads and writes zupy's settings: a YAML file of profiles,
// layered under environment variables and flags (docs/production-and-staging.md, `zupy help environment`). It never holds a
// secret; those live in the credential store.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/fileperm"
)

// Setting names.
const (
	BaseURL         = "base_url"
	Environment     = "environment"
	DefaultKeyID    = "default_key_id"
	CredentialStore = "credential_store"
	// AllowInsecureHTTP lets base_url be plain http to any host
	// (docs/security-model.md#plain-http).
	AllowInsecureHTTP = "allow_insecure_http"
	// ExpiryWarnings false stops the note that the API key a command uses
	// expires within 7 days (docs/audit.md#expiry-warnings).
	ExpiryWarnings = "expiry_warnings"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://api.zupy.com/v1"

// DefaultProfile is the profile used when none is chosen.
const DefaultProfile = "default"

// Setting describes one key of a profile.
type Setting struct {
	Key         string
	Description string
	Default     string
	Env         string // environment variable that overrides it, if any
	Flag        string // global flag that overrides it, if any
	normalize   func(string) (string, error)
}

// Settings are the keys a profile can hold, in display order.
var Settings = []Setting{
	{Key: BaseURL, Description: "Base URL of the Zupy API", Default: DefaultBaseURL, Env: "ZUPY_BASE_URL", Flag: "base-url", normalize: NormalizeBaseURL},
	{Key: Environment, Description: "production or staging: the API a profile without base_url uses", normalize: normalizeEnvironment},
	{Key: DefaultKeyID, Description: "Saved API key used by ping and api when none is given", normalize: normalizeKeyID},
	{Key: CredentialStore, Description: "Where secrets are kept: keyring or file", Default: "keyring", normalize: normalizeStore},
	{Key: AllowInsecureHTTP, Description: "true lets base_url be plain http to a remote host", Default: "false", Env: "ZUPY_ALLOW_INSECURE_HTTP", Flag: "allow-insecure-http", normalize: normalizeBool},
	{Key: ExpiryWarnings, Description: "false stops the note that the API key in use expires within 7 days", Default: "true", normalize: normalizeBool},
}

// Lookup returns the setting named key.
func Lookup(key string) (Setting, bool) {
	for _, s := range Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// Keys returns the setting names.
func Keys() []string {
	out := make([]string, len(Settings))
	for i, s := range Settings {
		out[i] = s.Key
	}
	return out
}

// UsageError is an invalid key or value; the CLI reports it as a usage error.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Normalize validates value for key and returns the form to store.
func Normalize(key, value string) (string, error) {
	s, ok := Lookup(key)
	if !ok {
		return "", &UsageError{fmt.Sprintf("unknown config key %q (valid keys: %s)", key, strings.Join(Keys(), ", "))}
	}
	v, err := s.normalize(value)
	if err != nil {
		return "", &UsageError{fmt.Sprintf("invalid value for %s: %v", key, err)}
	}
	return v, nil
}

// NormalizeBaseURL accepts an absolute http(s) URL with a host and removes a
// trailing slash.
func NormalizeBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL (example: https://api.zupy.com/v1)", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q must not contain credentials", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func normalizeKeyID(s string) (string, error) {
	if !apikey.ValidID(s) {
		return "", fmt.Errorf("%q is not a key id (key_ followed by 12 lowercase letters or digits)", s)
	}
	return s, nil
}

func normalizeEnvironment(s string) (string, error) {
	env, err := apikey.ParseEnvironment(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%q must be production or staging", s)
	}
	return string(env), nil
}

func normalizeStore(s string) (string, error) {
	if s != "keyring" && s != "file" {
		return "", fmt.Errorf("%q must be keyring or file", s)
	}
	return s, nil
}

// normalizeBool accepts true/false, 1/0, yes/no and on/off, in any case.
func normalizeBool(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return "true", nil
	case "false", "0", "no", "off":
		return "false", nil
	}
	return "", fmt.Errorf("%q must be true or false", s)
}

// PlainHTTPHost returns the host of baseURL when it is plain http to a host
// that is neither this machine (localhost and *.localhost, 127.0.0.0/8, ::1) nor a
// single-label name (a container or compose service, such as the
// emulator's --allowed-host setup in docs/api.md): a credential sent there
// crosses a network in clear text. It returns "" for every other URL.
func PlainHTTPHost(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return ""
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Unmap().IsLoopback() {
			return ""
		}
		return host
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || !strings.Contains(lower, ".") || strings.HasSuffix(lower, ".localhost") {
		return "" // localhost (RFC 6761), or a service name on a container network
	}
	return host
}

// ValidateProfile checks a profile name: lowercase letters, digits, "-" and
// "_", at most 64. Names are used inside keyring entries, so "/" is refused.
func ValidateProfile(name string) error {
	if !validProfileName(name) {
		return &UsageError{fmt.Sprintf("invalid profile name %q: use lowercase letters, digits, - and _ (at most 64)", name)}
	}
	return nil
}

// validProfileName matches ^[a-z0-9][a-z0-9_-]{0,63}$, written out: that
// regexp compiled at package level cost every start-up 0.3 ms and 700
// allocations (GODEBUG=inittrace=1).
func validProfileName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '-' || name[0] == '_' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// StateDir is where zupy keeps what it remembers between runs (a pending
// login, the expiry warnings given): $XDG_STATE_HOME/zupy, else
// ~/.local/state/zupy.
func StateDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "zupy"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("find the state directory: %w", err)
		}
	}
	return filepath.Join(home, ".local", "state", "zupy"), nil
}

// Dir is the configuration directory: $ZUPY_CONFIG_DIR, else
// $XDG_CONFIG_HOME/zupy, else ~/.config/zupy.
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("ZUPY_CONFIG_DIR"); d != "" {
		return d, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "zupy"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the configuration directory: set ZUPY_CONFIG_DIR: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".config", "zupy"), nil
}

// FileError is a config file that cannot be read, parsed or written: a bad
// ZUPY_CONFIG_DIR (a file, say), a file without read permission, or YAML
// that is not zupy's.
type FileError struct {
	Op   string // "read" or "write"
	Path string
	Err  error
}

func (e *FileError) Error() string {
	if e.Op == "write" {
		return e.Err.Error() // WriteFileAtomic names the path
	}
	return fmt.Sprintf("%s config %s: %v", e.Op, e.Path, e.Err)
}
func (e *FileError) Unwrap() error { return e.Err }

// File is the config file's contents.
type File struct {
	path     string
	Version  int                          `yaml:"version" mapstructure:"version"`
	Profiles map[string]map[string]string `yaml:"profiles" mapstructure:"profiles"`
}

// trust checks config.yaml and its folder before they are read; tests
// replace its UID.
var trust fileperm.Checker

// configRisk is what another user could do with a config.yaml they can write.
const configRisk = "another user could point base_url at their own server and receive your key"

// CheckTrusted refuses (a *fileperm.Error, exit 1) a config folder that
// another user could write in, unless it is sticky, and a config.yaml that
// is not the user's or that group or others may write
// (docs/security-model.md#the-config-folder). Missing ones pass.
func CheckTrusted(path string) error {
	if err := trust.Folder("config folder", filepath.Dir(path), configRisk); err != nil {
		return err
	}
	return trust.File("config file", path, 0o022, "go-w", configRisk)
}

// Load reads the config file at path; a missing file is an empty config.
// An untrusted file or folder is refused (CheckTrusted).
func Load(path string) (*File, error) {
	f := &File{path: path, Version: 1, Profiles: map[string]map[string]string{}}
	if err := CheckTrusted(path); err != nil {
		var untrusted *fileperm.Error
		if errors.As(err, &untrusted) {
			return nil, err
		}
		return nil, &FileError{Op: "read", Path: path, Err: err}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return f, nil
	} else if err != nil {
		return nil, &FileError{Op: "read", Path: path, Err: err}
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return nil, &FileError{Op: "read", Path: path, Err: err}
	}
	if err := v.Unmarshal(f); err != nil {
		return nil, &FileError{Op: "read", Path: path, Err: err}
	}
	if f.Version != 1 {
		return nil, &FileError{Op: "read", Path: path, Err: fmt.Errorf("unsupported version %d (this zupy understands version 1)", f.Version)}
	}
	if f.Profiles == nil {
		f.Profiles = map[string]map[string]string{}
	}
	// Unmarshal drops profiles without settings (viper flattens keys); they
	// are still profiles, and may own credentials: take them from the raw map.
	if raw, ok := v.Get("profiles").(map[string]any); ok {
		for name := range raw {
			if _, ok := f.Profiles[name]; !ok {
				f.Profiles[name] = map[string]string{}
			}
		}
	}
	for name, p := range f.Profiles {
		for k := range p {
			if _, ok := Lookup(k); !ok {
				return nil, &FileError{Op: "read", Path: path, Err: fmt.Errorf("profile %s: unknown key %q", name, k)}
			}
		}
	}
	return f, nil
}

// Path is where the file lives.
func (f *File) Path() string { return f.path }

// Get returns the value stored for key in profile.
func (f *File) Get(profile, key string) (string, bool) {
	v, ok := f.Profiles[profile][key]
	return v, ok
}

// Set stores a validated value for key in profile (not yet saved).
func (f *File) Set(profile, key, value string) error {
	v, err := Normalize(key, value)
	if err != nil {
		return err
	}
	if f.Profiles[profile] == nil {
		f.Profiles[profile] = map[string]string{}
	}
	f.Profiles[profile][key] = v
	return nil
}

// AddProfile records profile in the file (with no settings), reporting
// whether it was new: a profile that only holds credentials must still be
// listed, so that logout --all can find them.
func (f *File) AddProfile(profile string) bool {
	if _, ok := f.Profiles[profile]; ok {
		return false
	}
	f.Profiles[profile] = map[string]string{}
	return true
}

// Unset removes key from profile, reporting whether it was set.
func (f *File) Unset(profile, key string) (bool, error) {
	if _, ok := Lookup(key); !ok {
		_, err := Normalize(key, "")
		return false, err
	}
	_, had := f.Profiles[profile][key]
	delete(f.Profiles[profile], key)
	return had, nil
}

// ProfileNames lists the profiles in the file, sorted.
func (f *File) ProfileNames() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Save writes the file atomically with mode 0600 in a 0700 directory.
func (f *File) Save() error {
	f.Version = 1
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(f.path, data); err != nil {
		return &FileError{Op: "write", Path: f.path, Err: err}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed, so readers see the old or the new content,
// never a part. The file is 0600 and its directory 0700.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Source says which layer a value came from.
type Source string

const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "environment"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Value is an effective setting and where it came from.
type Value struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	// Origin names the flag, variable or file behind the value.
	Origin string `json:"origin,omitempty"`
	// Via names the setting the value was derived from, when not its own:
	// base_url from a profile's environment.
	Via string `json:"via,omitempty"`
}

// Resolver computes effective settings for one profile: flag > environment >
// config file > default.
type Resolver struct {
	File    *File
	Profile string
	Flags   *pflag.FlagSet // global flags; nil when none
	Getenv  func(string) string
}

// Get returns the effective value of key: the first layer that sets it wins,
// and its value is normalized as `config set` would; an invalid one (in a
// flag, a variable or a hand-edited file) is a usage error naming where it
// came from.
func (r *Resolver) Get(key string) (Value, error) {
	s, ok := Lookup(key)
	if !ok {
		_, err := Normalize(key, "")
		return Value{}, err
	}
	if s.Flag != "" && r.Flags != nil {
		if f := r.Flags.Lookup(s.Flag); f != nil && f.Changed {
			norm, err := s.normalize(f.Value.String())
			if err != nil {
				return Value{}, &UsageError{fmt.Sprintf("invalid --%s: %v", s.Flag, err)}
			}
			return Value{Key: key, Value: norm, Source: SourceFlag, Origin: "--" + s.Flag}, nil
		}
	}
	if s.Env != "" {
		if val := r.Getenv(s.Env); val != "" {
			norm, err := s.normalize(val)
			if err != nil {
				return Value{}, &UsageError{fmt.Sprintf("invalid %s: %v", s.Env, err)}
			}
			return Value{Key: key, Value: norm, Source: SourceEnv, Origin: s.Env}, nil
		}
	}
	if val, ok := r.File.Get(r.Profile, key); ok {
		// The file may have been edited by hand: hold it to the rules of
		// `config set` rather than hand an ftp:// URL or a trailing slash on.
		norm, err := s.normalize(val)
		if err != nil {
			return Value{}, &UsageError{fmt.Sprintf("invalid %s in %s (profile %s): %v; change it with `zupy config set` or `zupy config unset`", key, r.File.Path(), r.Profile, err)}
		}
		return Value{Key: key, Value: norm, Source: SourceFile, Origin: r.File.Path()}, nil
	}
	if key == BaseURL {
		// A profile's environment names its API without a URL to remember.
		env, err := r.Get(Environment)
		if err != nil {
			return Value{}, err
		}
		if env.Source != SourceDefault {
			return Value{Key: key, Value: apikey.Environment(env.Value).BaseURL(), Source: SourceFile,
				Origin: env.Origin, Via: Environment}, nil
		}
	}
	return Value{Key: key, Value: s.Default, Source: SourceDefault}, nil
}

// All returns every setting's effective value in display order.
func (r *Resolver) All() ([]Value, error) {
	out := make([]Value, 0, len(Settings))
	for _, s := range Settings {
		v, err := r.Get(s.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
