package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestNormalizeBaseURL(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"https://api.zupy.com/v1", "https://api.zupy.com/v1"},
		{"https://api.zupy.com/v1/", "https://api.zupy.com/v1"},
		{"http://127.0.0.1:8790/v1/", "http://127.0.0.1:8790/v1"},
		{"  https://api-staging.zupy.com/v1  ", "https://api-staging.zupy.com/v1"},
		{"https://api.zupy.com", "https://api.zupy.com"},
	} {
		got, err := Normalize(BaseURL, c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(base_url, %q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestNormalizeBaseURLRefusals(t *testing.T) {
	for _, c := range []struct {
		in, mention string
	}{
		{"ftp://api.zupy.com/v1", "http(s)"},
		{"api.zupy.com/v1", "http(s)"},
		{"https:///v1", "http(s)"},
		{"https://", "http(s)"},
		{"", "http(s)"},
		{"https://user:hunter2@api.zupy.com/v1", "credentials"},
		{"https://api.zupy.com/v1?x=1", "query"},
		{"https://api.zupy.com/v1#frag", "fragment"},
		{"https://api.zupy.com/%zz", "http(s)"},
	} {
		_, err := Normalize(BaseURL, c.in)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Normalize(base_url, %q): err = %v, want *UsageError", c.in, err)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) || !strings.Contains(err.Error(), "base_url") {
			t.Errorf("Normalize(base_url, %q): %q should name base_url and mention %q", c.in, err, c.mention)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error repeats the password: %q", err)
		}
	}
}

func TestNormalizeCredentialStore(t *testing.T) {
	for _, v := range []string{"keyring", "file"} {
		if got, err := Normalize(CredentialStore, v); err != nil || got != v {
			t.Errorf("Normalize(credential_store, %q) = %q, %v", v, got, err)
		}
	}
	for _, v := range []string{"", "File", "plaintext", "keyring "} {
		var ue *UsageError
		if _, err := Normalize(CredentialStore, v); !errors.As(err, &ue) {
			t.Errorf("Normalize(credential_store, %q): err = %v, want *UsageError", v, err)
		}
	}
}

func TestNormalizeDefaultKeyID(t *testing.T) {
	if got, err := Normalize(DefaultKeyID, "key_a1b2c3d4e5f6"); err != nil || got != "key_a1b2c3d4e5f6" {
		t.Errorf("valid key id: %q, %v", got, err)
	}
	for _, v := range []string{"", "key_", "key_A1B2C3D4E5F6", "key_a1b2c3d4e5f", "key_a1b2c3d4e5f67", "kei_a1b2c3d4e5f6", "key_a1b2c3d4e5f!", "zup_live_sk_a1b2c3d4e5f6"} {
		var ue *UsageError
		if _, err := Normalize(DefaultKeyID, v); !errors.As(err, &ue) {
			t.Errorf("Normalize(default_key_id, %q): err = %v, want *UsageError", v, err)
		}
	}
}

func TestNormalizeUnknownKeyNamesValidKeys(t *testing.T) {
	_, err := Normalize("api_key", "x")
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UsageError", err)
	}
	for _, k := range []string{"api_key", "base_url", "default_key_id", "credential_store"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("%q does not name %s", err, k)
		}
	}
}

func TestValidateProfile(t *testing.T) {
	for _, ok := range []string{"default", "work", "a", "ci-staging_2", "0", strings.Repeat("a", 64)} {
		if err := ValidateProfile(ok); err != nil {
			t.Errorf("ValidateProfile(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "Work", "a/b", "-a", "_a", "a b", "a.b", strings.Repeat("a", 65), "a\n"} {
		var ue *UsageError
		if err := ValidateProfile(bad); !errors.As(err, &ue) {
			t.Errorf("ValidateProfile(%q) = %v, want *UsageError", bad, err)
		}
	}
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDirPrecedence(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ZUPY_CONFIG_DIR": "/z", "XDG_CONFIG_HOME": "/x", "HOME": "/h"}, "/z"},
		{map[string]string{"XDG_CONFIG_HOME": "/x", "HOME": "/h"}, filepath.Join("/x", "zupy")},
		{map[string]string{"HOME": "/h"}, filepath.Join("/h", ".config", "zupy")},
	} {
		got, err := Dir(envMap(c.env))
		if err != nil || got != c.want {
			t.Errorf("Dir(%v) = %q, %v; want %q", c.env, got, err, c.want)
		}
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.yaml")
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path() != path || f.Version != 1 || len(f.Profiles) != 0 {
		t.Errorf("Load(missing) = %+v", f)
	}
	if _, ok := f.Get("default", BaseURL); ok {
		t.Error("empty config has a value")
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Load created the directory")
	}
}

func TestSaveIsPrivateAtomicAndRoundTrips(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "zupy")
	path := filepath.Join(dir, "config.yaml")
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	must(t, f.Set("default", BaseURL, "http://127.0.0.1:8790/v1/"))
	must(t, f.Set("work", CredentialStore, "file"))
	must(t, f.Set("work", DefaultKeyID, "key_a1b2c3d4e5f6"))
	must(t, f.Save())
	// Saving again replaces the file in place.
	must(t, f.Set("default", CredentialStore, "keyring"))
	must(t, f.Save())

	assertMode(t, dir, 0o700)
	assertMode(t, path, 0o600)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "config.yaml" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only config.yaml (no temporary files)", names)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "version: 1") {
		t.Errorf("file lacks version: 1:\n%s", data)
	}

	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ profile, key, want string }{
		{"default", BaseURL, "http://127.0.0.1:8790/v1"},
		{"default", CredentialStore, "keyring"},
		{"work", CredentialStore, "file"},
		{"work", DefaultKeyID, "key_a1b2c3d4e5f6"},
	} {
		if v, ok := g.Get(c.profile, c.key); !ok || v != c.want {
			t.Errorf("after reload %s.%s = %q, %v; want %q", c.profile, c.key, v, ok, c.want)
		}
	}
	if names := g.ProfileNames(); strings.Join(names, ",") != "default,work" {
		t.Errorf("ProfileNames = %v", names)
	}
}

func TestSetRefusesInvalidValueAndLeavesFileUnchanged(t *testing.T) {
	f, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	var ue *UsageError
	if err := f.Set("default", BaseURL, "ftp://x"); !errors.As(err, &ue) {
		t.Errorf("Set(ftp) err = %v, want *UsageError", err)
	}
	if err := f.Set("default", "token", "zup_sess_x"); !errors.As(err, &ue) {
		t.Errorf("Set(token) err = %v, want *UsageError", err)
	}
	if len(f.Profiles) != 0 {
		t.Errorf("a refused Set changed the config: %v", f.Profiles)
	}
}

func TestWriteFileAtomicFailureLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "config.yaml")
	must(t, os.Mkdir(target, 0o700)) // renaming a file over a directory fails
	if err := WriteFileAtomic(target, []byte("x")); err == nil {
		t.Fatal("WriteFileAtomic over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary file left behind: %d entries", len(entries))
	}
}

func TestLoadRefusesUnknownKeyNamingThePath(t *testing.T) {
	path := writeConfig(t, "version: 1\nprofiles:\n  default:\n    base_url: https://api.zupy.com/v1\n    api_key: zup_live_sk_x\n")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load accepted an unknown key")
	}
	for _, s := range []string{path, "api_key", "default"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not name %s", err, s)
		}
	}
}

func TestLoadRefusesUnsupportedVersionNamingThePath(t *testing.T) {
	path := writeConfig(t, "version: 2\nprofiles: {}\n")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("Load(version 2) err = %v, want one naming %s and the version", err, path)
	}
}

func TestLoadRefusesMalformedYAMLNamingThePath(t *testing.T) {
	path := writeConfig(t, "version: 1\nprofiles: [\n")
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(malformed) err = %v, want one naming %s", err, path)
	}
}

// A profile stays listed after its last setting is unset: it may still own
// credentials, which logout --all finds through the list of profiles.
func TestUnsetReportsAndKeepsTheProfile(t *testing.T) {
	f, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	must(t, f.Set("work", BaseURL, "https://api.zupy.com/v1"))
	must(t, f.Set("work", CredentialStore, "file"))

	had, err := f.Unset("work", BaseURL)
	if err != nil || !had {
		t.Fatalf("Unset(set key) = %v, %v; want true", had, err)
	}
	if _, ok := f.Profiles["work"]; !ok {
		t.Fatal("profile removed while it still holds a key")
	}
	if had, _ = f.Unset("work", BaseURL); had {
		t.Error("Unset of an absent key reported it was set")
	}
	if had, _ = f.Unset("work", CredentialStore); !had {
		t.Error("Unset(credential_store) reported it was not set")
	}
	if p, ok := f.Profiles["work"]; !ok || len(p) != 0 {
		t.Errorf("after unsetting its last key the profile is %v (listed: %v), want listed and empty", p, ok)
	}
	var ue *UsageError
	if _, err := f.Unset("work", "colour"); !errors.As(err, &ue) {
		t.Errorf("Unset(unknown key) err = %v, want *UsageError", err)
	}
}

func baseURLFlags(t *testing.T, value string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("zupy", pflag.ContinueOnError)
	fs.String("base-url", "", "")
	if value != "" {
		must(t, fs.Set("base-url", value))
	}
	return fs
}

func TestResolverPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	file, _ := Load(path)
	must(t, file.Set("default", BaseURL, "https://file.example/v1"))
	must(t, file.Set("other", BaseURL, "https://other.example/v1"))

	for _, c := range []struct {
		name      string
		file      bool
		env, flag string
		want      Value
	}{
		{"default", false, "", "", Value{Key: BaseURL, Value: DefaultBaseURL, Source: SourceDefault}},
		{"file", true, "", "", Value{Key: BaseURL, Value: "https://file.example/v1", Source: SourceFile, Origin: path}},
		{"env over file", true, "https://env.example/v1/", "", Value{Key: BaseURL, Value: "https://env.example/v1", Source: SourceEnv, Origin: "ZUPY_BASE_URL"}},
		{"flag over env", true, "https://env.example/v1", "https://flag.example/v1/", Value{Key: BaseURL, Value: "https://flag.example/v1", Source: SourceFlag, Origin: "--base-url"}},
		{"flag without file", false, "", "http://127.0.0.1:1/v1", Value{Key: BaseURL, Value: "http://127.0.0.1:1/v1", Source: SourceFlag, Origin: "--base-url"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := file
			if !c.file {
				f, _ = Load(filepath.Join(t.TempDir(), "config.yaml"))
			}
			r := &Resolver{File: f, Profile: "default", Flags: baseURLFlags(t, c.flag), Getenv: envMap(map[string]string{"ZUPY_BASE_URL": c.env})}
			got, err := r.Get(BaseURL)
			if err != nil || got != c.want {
				t.Errorf("Get(base_url) = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestResolverUnchangedFlagDoesNotCount(t *testing.T) {
	fs := pflag.NewFlagSet("zupy", pflag.ContinueOnError)
	fs.String("base-url", "https://flag-default.example/v1", "")
	file, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	r := &Resolver{File: file, Profile: "default", Flags: fs, Getenv: envMap(nil)}
	got, _ := r.Get(BaseURL)
	if got.Source != SourceDefault || got.Value != DefaultBaseURL {
		t.Errorf("Get = %+v, want the default: an unset flag's default must not win", got)
	}
}

func TestResolverReadsOnlyItsProfile(t *testing.T) {
	file, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	must(t, file.Set("work", CredentialStore, "file"))
	r := &Resolver{File: file, Profile: "default", Getenv: envMap(nil)}
	got, _ := r.Get(CredentialStore)
	if got.Value != "keyring" || got.Source != SourceDefault {
		t.Errorf("default profile sees %+v from another profile", got)
	}
	r.Profile = "work"
	if got, _ = r.Get(CredentialStore); got.Value != "file" || got.Source != SourceFile {
		t.Errorf("work profile: %+v", got)
	}
}

func TestResolverInvalidEnvOrFlagIsUsageErrorNamingIt(t *testing.T) {
	file, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	r := &Resolver{File: file, Profile: "default", Getenv: envMap(map[string]string{"ZUPY_BASE_URL": "ftp://x"})}
	_, err := r.Get(BaseURL)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ZUPY_BASE_URL") {
		t.Errorf("invalid env: err = %v, want a *UsageError naming ZUPY_BASE_URL", err)
	}
	if _, err := r.All(); !errors.As(err, &ue) {
		t.Errorf("All with invalid env: err = %v, want *UsageError", err)
	}

	r = &Resolver{File: file, Profile: "default", Flags: baseURLFlags(t, "nope"), Getenv: envMap(nil)}
	_, err = r.Get(BaseURL)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--base-url") {
		t.Errorf("invalid flag: err = %v, want a *UsageError naming --base-url", err)
	}
	if _, err := r.Get("nope"); !errors.As(err, &ue) {
		t.Errorf("unknown key: err = %v, want *UsageError", err)
	}
}

func TestResolverAllListsEverySettingInOrder(t *testing.T) {
	file, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	must(t, file.Set("default", DefaultKeyID, "key_a1b2c3d4e5f6"))
	r := &Resolver{File: file, Profile: "default", Getenv: envMap(nil)}
	all, err := r.All()
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{
		{Key: BaseURL, Value: DefaultBaseURL, Source: SourceDefault},
		{Key: Environment, Source: SourceDefault},
		{Key: DefaultKeyID, Value: "key_a1b2c3d4e5f6", Source: SourceFile, Origin: file.Path()},
		{Key: CredentialStore, Value: "keyring", Source: SourceDefault},
		{Key: AllowInsecureHTTP, Value: "false", Source: SourceDefault},
		{Key: ExpiryWarnings, Value: "true", Source: SourceDefault},
	}
	if len(all) != len(want) {
		t.Fatalf("All = %+v", all)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("All[%d] = %+v, want %+v", i, all[i], want[i])
		}
	}
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s mode %o, want %o", path, got, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestResolverHoldsHandEditedFileValuesToTheRules(t *testing.T) {
	path := writeConfig(t, "version: 1\nprofiles:\n  default:\n    base_url: https://edited.example/v1/\n  bad:\n    base_url: ftp://edited.example\n")
	file, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{File: file, Profile: "default", Getenv: envMap(nil)}
	if got, err := r.Get(BaseURL); err != nil || got.Value != "https://edited.example/v1" {
		t.Errorf("Get = %+v, %v; want the trailing slash removed", got, err)
	}

	r.Profile = "bad"
	_, err = r.Get(BaseURL)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("invalid file value: err = %v, want a *UsageError naming base_url and %s", err, path)
	}
	// An override makes the bad file value irrelevant.
	r.Getenv = envMap(map[string]string{"ZUPY_BASE_URL": "https://env.example/v1"})
	if got, err := r.Get(BaseURL); err != nil || got.Source != SourceEnv {
		t.Errorf("with ZUPY_BASE_URL: %+v, %v; want the environment's value", got, err)
	}
}

func TestAddProfileListsAProfileWithoutSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	f, _ := Load(path)
	if !f.AddProfile("ci") || f.AddProfile("ci") {
		t.Fatal("AddProfile should report new once")
	}
	must(t, f.Save())
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if names := g.ProfileNames(); len(names) != 1 || names[0] != "ci" {
		t.Fatalf("profiles after reload = %v, want [ci]", names)
	}
}

func TestProfileEnvironmentPicksTheBaseURL(t *testing.T) {
	file, _ := Load(filepath.Join(t.TempDir(), "config.yaml"))
	must(t, file.Set("stg", Environment, "staging"))
	r := &Resolver{File: file, Profile: "stg", Getenv: envMap(nil)}
	v, err := r.Get(BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if v.Value != "https://api-staging.zupy.com/v1" || v.Via != Environment || v.Source != SourceFile {
		t.Errorf("base_url of a staging profile = %+v", v)
	}
	// An explicit base_url wins over the environment.
	must(t, file.Set("stg", BaseURL, "http://127.0.0.1:8790/v1"))
	if v, _ := r.Get(BaseURL); v.Value != "http://127.0.0.1:8790/v1" || v.Via != "" {
		t.Errorf("base_url with both set = %+v", v)
	}
	if err := file.Set("stg", Environment, "prod"); err == nil {
		t.Error("environment prod accepted")
	}
}

// TestPlainHTTPHost names the host of a base URL that would carry a
// credential in clear text over a network, and nothing for https, loopback
// or a single-label (container service) name.
func TestPlainHTTPHost(t *testing.T) {
	for url, want := range map[string]string{
		"https://api.zupy.com/v1":      "",
		"http://api.zupy.com/v1":       "api.zupy.com",
		"http://10.0.0.5:8790/v1":      "10.0.0.5",
		"http://[2001:db8::1]:8790/v1": "2001:db8::1",
		"http://127.0.0.1:8790/v1":     "",
		"http://127.200.0.1/v1":        "",
		"http://[::1]:8790/v1":         "",
		"http://[::ffff:127.0.0.1]/v1": "",
		"http://localhost:8790/v1":     "",
		"http://app.localhost:8790/v1": "",
		"http://localhost.:8790/v1":    "",
		"http://localhost.evil.com/v1": "localhost.evil.com",
		"http://emulator:8790/v1":      "",
	} {
		if got := PlainHTTPHost(url); got != want {
			t.Errorf("PlainHTTPHost(%q) = %q, want %q", url, got, want)
		}
	}
	for _, v := range []string{"true", "1", "yes", "TRUE", "false", "0", "no"} {
		if _, err := Normalize(AllowInsecureHTTP, v); err != nil {
			t.Errorf("allow_insecure_http %q: %v", v, err)
		}
	}
	if _, err := Normalize(AllowInsecureHTTP, "maybe"); err == nil {
		t.Error("allow_insecure_http maybe was accepted")
	}
}
