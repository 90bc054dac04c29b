package keyauth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
)

// fixture is a profile with a config file, a credentials file store that
// counts its opens, and an environment.
type fixture struct {
	file   *config.File
	env    map[string]string
	store  credentials.Store
	opened int
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	file, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{file: file, env: map[string]string{}, store: credentials.NewFile(filepath.Join(dir, "credentials.yaml"))}
}

func (f *fixture) deps() Deps {
	getenv := func(k string) string { return f.env[k] }
	return Deps{
		Profile: "default",
		Getenv:  getenv,
		Settings: func() (*config.Resolver, error) {
			return &config.Resolver{File: f.file, Profile: "default", Getenv: getenv}, nil
		},
		Store: func() (credentials.Store, error) { f.opened++; return f.store, nil },
	}
}

func (f *fixture) save(t *testing.T, id string, env apikey.Environment) string {
	secret, err := apikey.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := credentials.SaveKey(context.Background(), f.store, "default", id, secret); err != nil {
		t.Fatal(err)
	}
	return secret
}

func mustKey(t *testing.T, env apikey.Environment) string {
	s, err := apikey.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeyIDBeatsEnvironmentBeatsDefaultKey(t *testing.T) {
	f := newFixture(t)
	saved := f.save(t, "key_aaaaaaaaaaaa", apikey.Production)
	def := f.save(t, "key_bbbbbbbbbbbb", apikey.Production)
	if err := f.file.Set("default", config.DefaultKeyID, "key_bbbbbbbbbbbb"); err != nil {
		t.Fatal(err)
	}
	env := mustKey(t, apikey.Production)
	f.env[credentials.EnvAPIKey] = env

	c, err := Choose(context.Background(), f.deps(), "key_aaaaaaaaaaaa")
	if err != nil || c.Key.Secret != saved || c.KeyID != "key_aaaaaaaaaaaa" || c.Source != "--key-id" {
		t.Fatalf("--key-id: %+v, %v", c, err)
	}
	c, err = Choose(context.Background(), f.deps(), "")
	if err != nil || c.Key.Secret != env || c.Source != credentials.EnvAPIKey || c.FromStore() {
		t.Fatalf("ZUPY_API_KEY: %+v, %v", c, err)
	}
	delete(f.env, credentials.EnvAPIKey)
	c, err = Choose(context.Background(), f.deps(), "")
	if err != nil || c.Key.Secret != def || c.Source != "default key" || !c.FromStore() {
		t.Fatalf("default key: %+v, %v", c, err)
	}
	if !strings.Contains(c.Describe(), "saved key key_bbbbbbbbbbbb (default key, ") {
		t.Fatalf("Describe = %q", c.Describe())
	}
}

func TestKeyFromEnvironmentNeverOpensTheStore(t *testing.T) {
	f := newFixture(t)
	f.env[credentials.EnvAPIKey] = mustKey(t, apikey.Staging)
	if _, err := Choose(context.Background(), f.deps(), ""); err != nil {
		t.Fatal(err)
	}
	if f.opened != 0 {
		t.Fatalf("store opened %d times for a key in ZUPY_API_KEY", f.opened)
	}
}

func TestMalformedKeyIsUsageErrorNamingSourceWithoutEcho(t *testing.T) {
	f := newFixture(t)
	f.env[credentials.EnvAPIKey] = "zup_live_sk_short"
	_, err := Choose(context.Background(), f.deps(), "")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "Invalid API key format (from ZUPY_API_KEY)") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "short") {
		t.Fatalf("error echoes the key: %v", err)
	}
}

func TestBaseURLOrder(t *testing.T) {
	live, test := mustKey(t, apikey.Production), mustKey(t, apikey.Staging)
	for _, tc := range []struct {
		name              string
		key               string
		envURL, fileURL   string
		profileEnv        string
		wantURL, wantFrom string
		wantUsage         bool
	}{
		{name: "live key alone", key: live, wantURL: "https://api.zupy.com/v1", wantFrom: "key environment"},
		{name: "test key alone", key: test, wantURL: "https://api-staging.zupy.com/v1", wantFrom: "key environment"},
		{name: "variable wins", key: test, envURL: "http://127.0.0.1:9/v1", fileURL: "http://127.0.0.1:8/v1", wantURL: "http://127.0.0.1:9/v1", wantFrom: "ZUPY_BASE_URL"},
		{name: "profile base_url", key: test, fileURL: "http://127.0.0.1:8/v1", wantURL: "http://127.0.0.1:8/v1", wantFrom: "profile base_url"},
		{name: "profile environment", key: test, profileEnv: "staging", wantURL: "https://api-staging.zupy.com/v1", wantFrom: "profile environment"},
		{name: "contradiction", key: live, profileEnv: "staging", wantUsage: true},
		{name: "contradiction with base_url", key: test, fileURL: "http://127.0.0.1:8/v1", profileEnv: "production", wantUsage: true},
		{name: "contradiction, URL named for the run", key: live, profileEnv: "staging", envURL: "http://127.0.0.1:9/v1", wantURL: "http://127.0.0.1:9/v1", wantFrom: "ZUPY_BASE_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.env[credentials.EnvAPIKey] = tc.key
			f.env["ZUPY_BASE_URL"] = tc.envURL
			if tc.fileURL != "" {
				_ = f.file.Set("default", config.BaseURL, tc.fileURL)
			}
			if tc.profileEnv != "" {
				_ = f.file.Set("default", config.Environment, tc.profileEnv)
			}
			c, err := Choose(context.Background(), f.deps(), "")
			if tc.wantUsage {
				var usage *cmdutil.UsageError
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), "nothing was sent") {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || c.BaseURL != tc.wantURL || c.BaseURLFrom != tc.wantFrom {
				t.Fatalf("got %+v, %v; want %s from %s", c, err, tc.wantURL, tc.wantFrom)
			}
		})
	}
}

func TestNoKeyAnywhereIsExit3(t *testing.T) {
	f := newFixture(t)
	_, err := Choose(context.Background(), f.deps(), "")
	if cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("err = %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	if f.opened != 0 {
		t.Fatal("store opened with no key to read")
	}
}

func TestUnsavedKeyIDIsUsageError(t *testing.T) {
	f := newFixture(t)
	_, err := Choose(context.Background(), f.deps(), "key_cccccccccccc")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "no saved key key_cccccccccccc") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Choose(context.Background(), f.deps(), "nope"); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("bad --key-id: %v", err)
	}
}
