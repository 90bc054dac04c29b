// Package keyauth chooses the API key, and the base URL it is sent to, for
// the commands authenticated by a key: ping, api and keys rotate --self
// (SPEC §3, §4). The key: --key-id (saved) > ZUPY_API_KEY > the profile's
// default key. The base URL: --base-url > ZUPY_BASE_URL > the profile's
// base_url > the profile's environment > the key's environment.
package keyauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// Deps are what choosing needs; the store is opened only when a saved key is
// read, so a key from ZUPY_API_KEY never touches the keyring.
type Deps struct {
	Profile  string
	Getenv   func(string) string
	Settings func() (*config.Resolver, error)
	Store    func() (credentials.Store, error)
}

// FromFactory takes the dependencies from the command factory.
func FromFactory(f *cmdutil.Factory) Deps {
	return Deps{Profile: f.Profile(), Getenv: f.Getenv, Settings: f.Settings, Store: f.Store}
}

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

// Choose finds the key (keyID is the --key-id flag, "" when not given) and
// the base URL, checking both before anything is sent: a malformed key or a
// key of the wrong environment is a usage error (exit 2) that never echoes
// the key.
func Choose(ctx context.Context, d Deps, keyID string) (*Choice, error) {
	settings, err := d.Settings()
	if err != nil {
		return nil, err
	}
	c := &Choice{}
	var secret string
	switch {
	case keyID != "":
		if !apikey.ValidID(keyID) {
			return nil, &cmdutil.UsageError{Err: fmt.Errorf("invalid --key-id %q: a key id is key_ followed by 12 lowercase letters or digits", keyID)}
		}
		c.KeyID, c.Source = keyID, "--key-id"
		if secret, err = fromStore(ctx, d, c); err != nil {
			return nil, err
		}
	case strings.TrimSpace(d.Getenv(credentials.EnvAPIKey)) != "":
		secret, c.Source = d.Getenv(credentials.EnvAPIKey), credentials.EnvAPIKey
	default:
		v, err := settings.Get(config.DefaultKeyID)
		if err != nil {
			return nil, err
		}
		if v.Value == "" {
			return nil, cmdutil.WithHint(&cmdutil.CodedError{Kind: api.KindAuth, Code: api.CodeAuthentication,
				Msg: "no API key to use: --key-id not given, ZUPY_API_KEY not set, and profile " + d.Profile + " has no default key"},
				"Set ZUPY_API_KEY, pass --key-id KEY_ID of a saved key, or save one with `zupy keys import --default`")
		}
		c.KeyID, c.Source = v.Value, "default key"
		if secret, err = fromStore(ctx, d, c); err != nil {
			return nil, err
		}
	}
	key, err := apikey.Parse(secret)
	if err != nil {
		return nil, cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("Invalid API key format (from %s)", c.Describe())},
			"An API key looks like zup_live_sk_ or zup_test_sk_ followed by 20 to 64 letters and digits")
	}
	c.Key = key
	if err := c.chooseBaseURL(settings); err != nil {
		return nil, err
	}
	return c, nil
}

func fromStore(ctx context.Context, d Deps, c *Choice) (string, error) {
	store, err := d.Store()
	if err != nil {
		return "", err
	}
	secret, err := store.Get(ctx, credentials.KeyAccount(d.Profile, c.KeyID))
	if errors.Is(err, credentials.ErrNotFound) {
		hint := "Save it with `zupy keys import`, or list the saved keys with `zupy auth status`"
		if c.Source == "default key" {
			hint = "The profile's default_key_id names a key that is not saved: `zupy keys import --default`, or `zupy config unset default_key_id`"
		}
		return "", cmdutil.WithHint(&cmdutil.UsageError{Err: fmt.Errorf("no saved key %s in profile %s", c.KeyID, d.Profile)}, hint)
	}
	if err != nil {
		return "", err
	}
	c.Store = store
	c.StoreName = credentials.SourceOf(store).String()
	return secret, nil
}

// chooseBaseURL applies SPEC §2's whole order. A key whose environment
// contradicts the profile's environment setting is refused, unless the URL
// was named for this run (--base-url, ZUPY_BASE_URL).
func (c *Choice) chooseBaseURL(settings *config.Resolver) error {
	base, err := settings.Get(config.BaseURL)
	if err != nil {
		return err
	}
	switch base.Source {
	case config.SourceFlag, config.SourceEnv:
		c.BaseURL, c.BaseURLFrom = base.Value, base.Origin
		return nil
	case config.SourceDefault:
		c.BaseURL, c.BaseURLFrom = c.Key.Environment.BaseURL(), "key environment"
		return nil
	}
	c.BaseURL, c.BaseURLFrom = base.Value, "profile base_url"
	if base.Via == config.Environment {
		c.BaseURLFrom = "profile environment"
	}
	env, err := settings.Get(config.Environment)
	if err != nil {
		return err
	}
	if env.Value != "" && env.Value != string(c.Key.Environment) {
		return cmdutil.WithHint(&cmdutil.UsageError{
			Err: fmt.Errorf("the key from %s is a %s key (%s…) but profile %s is set to environment %s; nothing was sent",
				c.Describe(), c.Key.Environment, c.Key.Environment.Prefix(), settings.Profile, env.Value)},
			fmt.Sprintf("Use a %s key, or name the API with --base-url to send it anyway", env.Value))
	}
	return nil
}

// completionTimeout bounds the store read that completes --key-id: a shell
// waiting on <Tab> must never hang.
const completionTimeout = 2 * time.Second

// CompleteSavedKeyIDs completes --key-id with the keys saved in the profile,
// each with its masked hint; any failure completes nothing.
func CompleteSavedKeyIDs(d func() Deps) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		deps := d()
		store, err := deps.Store()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		saved, err := credentials.SavedKeys(ctx, store, deps.Profile)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, k := range saved {
			if strings.HasPrefix(k.KeyID, toComplete) {
				out = append(out, k.KeyID+"\t"+k.Hint)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
