package resolve_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

// counting is a resolver whose keyring counts how often it is opened.
func counting(t *testing.T, env map[string]string) (*resolve.Resolver, *int) {
	t.Helper()
	file, err := config.Load(t.TempDir() + "/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	getenv := func(k string) string { return env[k] }
	store := credentials.NewFile(t.TempDir() + "/keyring-standin.yaml")
	credentialsFile := t.TempDir() + "/credentials.yaml"
	return resolve.New(resolve.Deps{
		IO: ui.Test(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}), Profile: func() string { return "default" }, Getenv: getenv,
		Settings: func() (*config.Resolver, error) {
			return &config.Resolver{File: file, Profile: "default", Getenv: getenv}, nil
		},
		Config:          func() (*config.File, error) { return file, nil },
		Keyring:         func() credentials.Store { opened++; return store },
		CredentialsFile: func() (string, error) { return credentialsFile, nil },
	}), &opened
}

func TestKeyFromEnvironmentNeverOpensTheStore(t *testing.T) {
	r, opened := counting(t, map[string]string{credentials.EnvAPIKey: mustKey(t, apikey.Staging)})
	if _, err := r.Key(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if *opened != 0 {
		t.Fatalf("store opened %d times for a key in ZUPY_API_KEY", *opened)
	}
}

func TestNoKeyAnywhereOpensNoStore(t *testing.T) {
	r, opened := counting(t, nil)
	if _, err := r.Key(context.Background(), ""); cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("err = %v (exit %d), want exit 3", err, cmdutil.ExitCode(err))
	}
	if *opened != 0 {
		t.Fatal("store opened with no key to read")
	}
}

func TestMalformedKeyIsUsageErrorNamingSourceWithoutEcho(t *testing.T) {
	r, _ := counting(t, map[string]string{credentials.EnvAPIKey: "zup_live_sk_short"})
	_, err := r.Key(context.Background(), "")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "Invalid API key format (from ZUPY_API_KEY)") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "short") {
		t.Fatalf("error echoes the key: %v", err)
	}
}

func TestUnsavedKeyIDIsUsageError(t *testing.T) {
	r, _ := counting(t, nil)
	_, err := r.Key(context.Background(), "key_cccccccccccc")
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "no saved key key_cccccccccccc") {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.Key(context.Background(), "nope"); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("bad --key-id: %v", err)
	}
}

func TestInsecureStorageWarnsRecordsAndUsesTheFile(t *testing.T) {
	r, opened := counting(t, nil)
	store, err := r.StoreFor(true, "the secret")
	if err != nil {
		t.Fatal(err)
	}
	if path, _ := r.CredentialsFilePath(); store.Location() != path || *opened != 0 {
		t.Fatalf("store %s (keyring opened %d times), want the credentials file", store.Location(), *opened)
	}
	settings, _ := r.Settings()
	if v, _ := settings.Get(config.CredentialStore); v.Value != "file" {
		t.Fatalf("credential_store = %q after --insecure-storage, want file", v.Value)
	}
	if again, err := r.Store(); err != nil || again.Location() != store.Location() {
		t.Fatalf("later commands use %v (%v), want the file", again, err)
	}
	if s, err := r.StoreFor(false, "the secret"); err != nil || s.Location() != store.Location() {
		t.Fatalf("without the flag: %v (%v), want the file the profile records", s, err)
	}
}
