package resolve

// This file holds the whole precedence of docs/production-and-staging.md#which-api-a-command-talks-to: which API
// key a command authenticates with, and which base URL each kind of request
// goes to. TestOrder walks every row.
//
// The API key (Key): --key-id (a saved key) > ZUPY_API_KEY > the profile's
// default_key_id.
//
// The base URL, by purpose:
//   - a command of the profile (BaseURL): --base-url > ZUPY_BASE_URL >
//     the profile's base_url > the profile's environment > production;
//   - a key of a given environment (ForKey: ping, api, keys rotate --self,
//     keys import): the same, except that with nothing configured the key
//     goes to its own environment's API, and a key whose environment
//     contradicts the profile's environment is refused (exit 2) unless the
//     URL was named for this run (--base-url, ZUPY_BASE_URL);
//   - a key found by `keys scan --verify` (ForScannedKey): only the
//     documented API of its own environment, a loopback emulator, or
//     --base-url/ZUPY_BASE_URL when that URL is of the key's environment;
//     never a profile's custom base_url.
//
// Plain http (RefuseInsecureHTTP): a URL decided here that is plain http to
// a host other than this machine or a single-label name is refused (exit 2)
// unless allow_insecure_http opts in (--allow-insecure-http >
// ZUPY_ALLOW_INSECURE_HTTP > the profile's setting). BaseURL and ForKey
// (so Key) end with that check, ForScannedKey never picks such a URL, and
// cmdutil's ClientFor builds no client without it, so no request escapes
// it (docs/security-model.md#plain-http).

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/clierr"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// Where a base URL came from, as Choice.BaseURLFrom says it.
const (
	FromProfileBaseURL     = "profile base_url"
	FromProfileEnvironment = "profile environment"
	FromKeyEnvironment     = "key environment"
)

// Choice is the key a command authenticates with and where it goes.
type Choice struct {
	Key apikey.Key // the parsed secret and its environment
	// KeyID is the saved key's id; "" for a key from the environment,
	// whose id only the server knows.
	KeyID string
	// Source names where the key came from: "ZUPY_API_KEY", "--key-id",
	// or "default key" (with the store in StoreName).
	Source    string
	Store     credentials.Store // the store the key was read from; nil for the environment
	StoreName string            // "keyring" or the credentials file's path
	BaseURL   string
	// BaseURLFrom says what chose BaseURL: "--base-url", "ZUPY_BASE_URL",
	// "profile base_url", "profile environment" or "key environment".
	BaseURLFrom string
}

// Describe is the key's source for messages: "ZUPY_API_KEY" or
// "saved key key_… (--key-id, keyring)".
func (c *Choice) Describe() string {
	if c.Store == nil {
		return c.Source
	}
	return fmt.Sprintf("saved key %s (%s, %s)", c.KeyID, c.Source, c.StoreName)
}

// FromStore reports whether the key was read from the profile's store.
func (c *Choice) FromStore() bool { return c.Store != nil }

// Key finds the API key (keyID is the --key-id flag, "" when not given)
// and the base URL it goes to (ForKey), checking both before anything is
// sent: a malformed key or a key of the wrong environment is a usage error
// (exit 2) that never echoes the key. The store is opened only when a saved
// key is read, so a key from ZUPY_API_KEY never touches the keyring.
func (r *Resolver) Key(ctx context.Context, keyID string) (*Choice, error) {
	settings, err := r.d.Settings()
	if err != nil {
		return nil, err
	}
	c := &Choice{}
	var secret string
	switch {
	case keyID != "":
		if !apikey.ValidID(keyID) {
			return nil, clierr.Usagef("invalid --key-id %q: a key id is key_ followed by 12 lowercase letters or digits", keyID)
		}
		c.KeyID, c.Source = keyID, "--key-id"
		if secret, err = r.savedKey(ctx, c); err != nil {
			return nil, err
		}
	case r.envAPIKey() != "":
		secret, c.Source = r.getenv(credentials.EnvAPIKey), credentials.EnvAPIKey
	default:
		v, err := settings.Get(config.DefaultKeyID)
		if err != nil {
			return nil, err
		}
		if v.Value == "" {
			return nil, clierr.WithHint(&clierr.CodedError{Kind: api.KindAuth, Code: api.CodeAuthentication,
				Msg: "no API key to use: --key-id not given, ZUPY_API_KEY not set, and profile " + r.Profile() + " has no default key"},
				"Set ZUPY_API_KEY, pass --key-id KEY_ID of a saved key, or save one with `zupy keys import --default`")
		}
		c.KeyID, c.Source = v.Value, "default key"
		if secret, err = r.savedKey(ctx, c); err != nil {
			return nil, err
		}
	}
	key, err := apikey.Parse(secret)
	if err != nil {
		return nil, clierr.WithHint(clierr.Usagef("Invalid API key format (from %s)", c.Describe()),
			"An API key looks like zup_live_sk_ or zup_test_sk_ followed by 20 to 64 letters and digits")
	}
	c.Key = key
	if c.BaseURL, c.BaseURLFrom, err = r.ForKey(key, c.Describe()); err != nil {
		return nil, err
	}
	return c, nil
}

func (r *Resolver) envAPIKey() string { return strings.TrimSpace(r.getenv(credentials.EnvAPIKey)) }

// EnvAPIKey is the key in ZUPY_API_KEY, "" when unset or blank: what
// `auth status` reports without reading the store.
func (r *Resolver) EnvAPIKey() string {
	if r.envAPIKey() == "" {
		return ""
	}
	return r.getenv(credentials.EnvAPIKey)
}

func (r *Resolver) savedKey(ctx context.Context, c *Choice) (string, error) {
	store, err := r.Store()
	if err != nil {
		return "", err
	}
	secret, err := store.Get(ctx, credentials.KeyAccount(r.Profile(), c.KeyID))
	if errors.Is(err, credentials.ErrNotFound) {
		hint := "Save it with `zupy keys import`, or list the saved keys with `zupy auth status`"
		if c.Source == "default key" {
			hint = "The profile's default_key_id names a key that is not saved: `zupy keys import --default`, or `zupy config unset default_key_id`"
		}
		return "", clierr.WithHint(clierr.Usagef("no saved key %s in profile %s", c.KeyID, r.Profile()), hint)
	}
	if err != nil {
		return "", err
	}
	c.Store = store
	c.StoreName = credentials.SourceOf(store).String()
	return secret, nil
}

// BaseURL is the base URL of a command of the profile and what chose it
// (config.Value's Source, Origin and Via): --base-url > ZUPY_BASE_URL >
// the profile's base_url > the profile's environment > production.
// A plain-http URL is refused unless opted into (RefuseInsecureHTTP);
// Configured is the setting without that check.
func (r *Resolver) BaseURL() (config.Value, error) {
	v, err := r.Configured()
	if err != nil {
		return config.Value{}, err
	}
	if err := r.RefuseInsecureHTTP(v.Value); err != nil {
		return config.Value{}, err
	}
	return v, nil
}

// Configured is the base URL setting as BaseURL decides it, but not
// checked for plain http: what `auth status` shows and what `logout`
// names as a session's issuer when none was recorded. Nothing is sent to
// it but through ClientFor, which checks.
func (r *Resolver) Configured() (config.Value, error) {
	settings, err := r.d.Settings()
	if err != nil {
		return config.Value{}, err
	}
	return settings.Get(config.BaseURL)
}

// RefuseInsecureHTTP refuses (a usage error, exit 2) a base URL that would
// send a credential in clear text over a network: plain http to a host
// other than loopback or a single-label name (config.PlainHTTPHost), unless
// allow_insecure_http opts in (--allow-insecure-http,
// ZUPY_ALLOW_INSECURE_HTTP=1 or the profile's allow_insecure_http: true).
func (r *Resolver) RefuseInsecureHTTP(baseURL string) error {
	host := config.PlainHTTPHost(baseURL)
	if host == "" {
		return nil
	}
	settings, err := r.d.Settings()
	if err != nil {
		return err
	}
	allow, err := settings.Get(config.AllowInsecureHTTP)
	if err != nil {
		return err
	}
	if allow.Value == "true" {
		return nil
	}
	return clierr.WithHint(clierr.Usagef("refusing plain http to %s: a key or session sent there crosses the network in clear text", host),
		"Use https, or opt in with --allow-insecure-http, ZUPY_ALLOW_INSECURE_HTTP=1 or `zupy config set allow_insecure_http true`")
}

// ForKey is the base URL a key of key.Environment is sent to, and what
// chose it. whose names the key in the refusal ("the key from
// ZUPY_API_KEY"). A key whose environment contradicts the profile's
// environment setting is refused (exit 2), unless the URL was named for
// this run (--base-url, ZUPY_BASE_URL).
func (r *Resolver) ForKey(key apikey.Key, whose string) (baseURL, from string, err error) {
	if baseURL, from, err = r.forKey(key, whose); err != nil {
		return "", "", err
	}
	if err := r.RefuseInsecureHTTP(baseURL); err != nil {
		return "", "", err
	}
	return baseURL, from, nil
}

func (r *Resolver) forKey(key apikey.Key, whose string) (baseURL, from string, err error) {
	settings, err := r.d.Settings()
	if err != nil {
		return "", "", err
	}
	base, err := settings.Get(config.BaseURL)
	if err != nil {
		return "", "", err
	}
	switch base.Source {
	case config.SourceFlag, config.SourceEnv:
		return base.Value, base.Origin, nil
	case config.SourceDefault:
		return key.Environment.BaseURL(), FromKeyEnvironment, nil
	}
	from = FromProfileBaseURL
	if base.Via == config.Environment {
		from = FromProfileEnvironment
	}
	env, err := settings.Get(config.Environment)
	if err != nil {
		return "", "", err
	}
	if env.Value != "" && env.Value != string(key.Environment) {
		return "", "", clierr.WithHint(clierr.Usagef("the key from %s is a %s key (%s…) but profile %s is set to environment %s; nothing was sent",
			whose, key.Environment, key.Environment.Prefix(), settings.Profile, env.Value),
			fmt.Sprintf("Use a %s key, or name the API with --base-url to send it anyway", env.Value))
	}
	return base.Value, from, nil
}

// ForScannedKey is the base URL a key of env found by `keys scan --verify`
// is sent to, or "" and why it is not sent. It goes to its environment's
// documented API; a URL named for the run (--base-url, ZUPY_BASE_URL) is
// used only when it is that documented API; a loopback URL (the emulator,
// which serves both) always. A profile's base_url is used only when it is
// the key's documented API or on loopback: a leaked key never goes to a
// server the profile names (docs/scan.md). A profile's environment alone
// names no URL: the key still goes to its own API.
//
// Plain http needs no check here: a target is a documented https API or on
// loopback, which RefuseInsecureHTTP never refuses, and a remote http URL,
// opted into or not, is not sent to (TestOrder's plain-http rows).
func (r *Resolver) ForScannedKey(env apikey.Environment) (target, skip string, err error) {
	v, err := r.Configured()
	if err != nil {
		return "", "", err
	}
	if v.Source == config.SourceDefault || v.Via == config.Environment {
		return env.BaseURL(), "", nil
	}
	if isLoopbackURL(v.Value) {
		return v.Value, "", nil
	}
	serves, ok := environmentOf(v.Value)
	if ok && serves == env {
		return v.Value, "", nil
	}
	origin := v.Origin
	if v.Source == config.SourceFile {
		origin = "base_url of profile " + r.Profile()
	}
	if !ok {
		return "", fmt.Sprintf("%s (%s) is not known to be the %s API", v.Value, origin, env), nil
	}
	return "", fmt.Sprintf("%s (%s) is the %s API", v.Value, origin, serves), nil
}

// environmentOf is the environment whose API u is, when it is one of the
// two documented URLs.
func environmentOf(u string) (apikey.Environment, bool) {
	for _, e := range []apikey.Environment{apikey.Production, apikey.Staging} {
		if u == e.BaseURL() {
			return e, true
		}
	}
	return "", false
}

// isLoopbackURL reports whether u's host is this machine: localhost or a
// loopback address, where the emulator runs.
func isLoopbackURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := strings.TrimSuffix(strings.ToLower(parsed.Hostname()), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}
