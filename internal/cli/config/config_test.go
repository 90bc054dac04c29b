package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	zconfig "github.com/zupy/zupy-cli/internal/config"
)

// result is what one run of `zupy config ...` left behind.
type result struct {
	out, errOut string
	err         error
}

func (r result) exit() int { return cmdutil.ExitCode(r.err) }

// run executes `zupy <args>` with only the config group attached to a root
// that carries the global flags the way the real root does, over a fresh
// factory (the factory loads the config file once, so each run needs its
// own). setup, if given, adjusts the factory before the command runs.
func run(t *testing.T, env map[string]string, setup func(*cmdutil.Factory), args ...string) result {
	t.Helper()
	f, out, errOut := clitest.Factory(env, "")
	if setup != nil {
		setup(f)
	}
	err := clitest.Run(context.Background(), f, NewCmdConfig(f), args...)
	return result{out: out.String(), errOut: errOut.String(), err: err}
}

func configEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	return map[string]string{"ZUPY_CONFIG_DIR": dir}, filepath.Join(dir, "config.yaml")
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := run(t, env, nil, args...)
	if r.err != nil {
		t.Fatalf("zupy %s: %v (stderr %q)", strings.Join(args, " "), r.err, r.errOut)
	}
	return r.out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSetThenGetRoundTripsTheNormalizedValueInA0600File(t *testing.T) {
	env, path := configEnv(t)
	if out := mustRun(t, env, "config", "set", "base_url", "http://127.0.0.1:9999/v1/"); out != "" {
		t.Errorf("set wrote %q to stdout, want nothing", out)
	}
	if got := mustRun(t, env, "config", "get", "base_url"); got != "http://127.0.0.1:9999/v1\n" {
		t.Errorf("get base_url = %q, want the value without its trailing slash", got)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config.yaml mode %v, want 0600", st.Mode().Perm())
	}
	f, err := zconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Get("default", "base_url"); v != "http://127.0.0.1:9999/v1" {
		t.Errorf("file holds base_url %q for default", v)
	}
}

func TestSetConfirmsOnlyOnAStderrTerminal(t *testing.T) {
	env, _ := configEnv(t)
	r := run(t, env, nil, "config", "set", "credential_store", "file")
	if r.err != nil || r.errOut != "" {
		t.Errorf("piped stderr: err %v, stderr %q; want silence", r.err, r.errOut)
	}
	r = run(t, env, func(f *cmdutil.Factory) {
		f.IOStreams.SetTTY(false, false, true)
		f.IOStreams.SetNoColor(true)
	}, "config", "set", "credential_store", "keyring")
	if r.err != nil || r.errOut != "✓ Set credential_store to keyring in profile default\n" {
		t.Errorf("terminal stderr: err %v, stderr %q", r.err, r.errOut)
	}
}

func TestGetPrefersFlagOverEnvironmentOverFile(t *testing.T) {
	env, _ := configEnv(t)
	mustRun(t, env, "config", "set", "base_url", "https://file.example/v1")
	env["ZUPY_BASE_URL"] = "https://env.example/v1/"
	if got := mustRun(t, env, "config", "get", "base_url"); got != "https://env.example/v1\n" {
		t.Errorf("env over file: get = %q", got)
	}
	if got := mustRun(t, env, "--base-url", "https://flag.example/v1", "config", "get", "base_url"); got != "https://flag.example/v1\n" {
		t.Errorf("flag over env: get = %q", got)
	}
}

func TestListNamesTheSourceOfEachValue(t *testing.T) {
	env, path := configEnv(t)
	mustRun(t, env, "config", "set", "default_key_id", "key_abcdefghijkl")
	env["ZUPY_BASE_URL"] = "https://env.example/v1"
	want := "base_url\thttps://env.example/v1\tenvironment (ZUPY_BASE_URL)\n" +
		"environment\t\tdefault\n" +
		"default_key_id\tkey_abcdefghijkl\tfile (" + path + ")\n" +
		"credential_store\tkeyring\tdefault\n" +
		"allow_insecure_http\tfalse\tdefault\n" +
		"expiry_warnings\ttrue\tdefault\n"
	if got := mustRun(t, env, "config", "list"); got != want {
		t.Errorf("list =\n%s\nwant\n%s", got, want)
	}
	got := mustRun(t, env, "--base-url", "https://flag.example/v1", "config", "list")
	if first, _, _ := strings.Cut(got, "\n"); first != "base_url\thttps://flag.example/v1\tflag (--base-url)" {
		t.Errorf("list with --base-url: first line %q", first)
	}
}

func TestListJSONIsAnArrayOfKeyValueSource(t *testing.T) {
	env, path := configEnv(t)
	mustRun(t, env, "config", "set", "credential_store", "file")
	out := mustRun(t, env, "config", "list", "-o", "json")
	var got []map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list -o json is not an array of objects: %v\n%s", err, out)
	}
	want := []map[string]string{
		{"key": "base_url", "value": zconfig.DefaultBaseURL, "source": "default"},
		{"key": "environment", "value": "production", "source": "default", "via": "base_url"}, // the default base URL is production
		{"key": "default_key_id", "value": "", "source": "default"},
		{"key": "credential_store", "value": "file", "source": "file", "origin": path},
		{"key": "allow_insecure_http", "value": "false", "source": "default"},
		{"key": "expiry_warnings", "value": "true", "source": "default"},
	}
	if len(got) != len(want) {
		t.Fatalf("list -o json has %d entries, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
			continue
		}
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
				break
			}
		}
	}
}

func TestRefusedSetIsAUsageErrorAndLeavesTheFileByteIdentical(t *testing.T) {
	env, path := configEnv(t)
	mustRun(t, env, "config", "set", "base_url", "http://127.0.0.1:9999/v1")
	before := readFile(t, path)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"no_such_key", "x"}, `unknown config key "no_such_key"`},
		{[]string{"base_url", "ftp://x"}, "invalid value for base_url"},
		{[]string{"credential_store", "vault"}, `"vault" must be keyring or file`},
		{[]string{"default_key_id", "nope"}, "is not a key id"},
	} {
		r := run(t, env, nil, append([]string{"config", "set"}, c.args...)...)
		if r.exit() != cmdutil.ExitUsage || r.err == nil || !strings.Contains(r.err.Error(), c.msg) {
			t.Errorf("set %q: exit %d, err %v; want exit 2 with %q", c.args, r.exit(), r.err, c.msg)
		}
		if after := readFile(t, path); !bytes.Equal(after, before) {
			t.Errorf("set %q changed the file:\n%s\nwas\n%s", c.args, after, before)
		}
	}
}

func TestUnknownKeyIsAUsageErrorForGetAndUnset(t *testing.T) {
	env, path := configEnv(t)
	for _, sub := range []string{"get", "unset"} {
		r := run(t, env, nil, "config", sub, "no_such_key")
		if r.exit() != cmdutil.ExitUsage || !strings.Contains(r.err.Error(), `unknown config key "no_such_key"`) {
			t.Errorf("%s no_such_key: exit %d, err %v; want exit 2", sub, r.exit(), r.err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused command created the config file (stat: %v)", err)
	}
}

func TestUnsetOfAnAbsentKeyCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	env := map[string]string{"ZUPY_CONFIG_DIR": dir}
	mustRun(t, env, "config", "unset", "base_url")
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unset of an absent key created %s (stat: %v)", dir, err)
	}
}

func TestUnsetReturnsAKeyToItsDefault(t *testing.T) {
	env, path := configEnv(t)
	mustRun(t, env, "config", "set", "base_url", "http://127.0.0.1:9999/v1")
	mustRun(t, env, "config", "unset", "base_url")
	if got := mustRun(t, env, "config", "get", "base_url"); got != zconfig.DefaultBaseURL+"\n" {
		t.Errorf("get after unset = %q, want the default", got)
	}
	if b := readFile(t, path); bytes.Contains(b, []byte("9999")) {
		t.Errorf("the unset value is still in the file:\n%s", b)
	}
}

func TestPathPrintsConfigYAMLInTheConfigDir(t *testing.T) {
	env, path := configEnv(t)
	if got := mustRun(t, env, "config", "path"); got != path+"\n" {
		t.Errorf("path = %q, want %q", got, path+"\n")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("path created the file (stat: %v)", err)
	}
}

func TestSetOnAnotherProfileLeavesDefaultAlone(t *testing.T) {
	env, _ := configEnv(t)
	mustRun(t, env, "config", "set", "base_url", "http://127.0.0.1:9999/v1")
	staging := map[string]string{"ZUPY_CONFIG_DIR": env["ZUPY_CONFIG_DIR"], "ZUPY_PROFILE": "staging"}
	mustRun(t, staging, "config", "set", "base_url", "https://api-staging.zupy.com/v1")
	if got := mustRun(t, staging, "config", "get", "base_url"); got != "https://api-staging.zupy.com/v1\n" {
		t.Errorf("staging get = %q", got)
	}
	if got := mustRun(t, env, "config", "get", "base_url"); got != "http://127.0.0.1:9999/v1\n" {
		t.Errorf("default get after setting staging = %q, want its own value", got)
	}
	if got := mustRun(t, env, "--profile", "other", "config", "get", "base_url"); got != zconfig.DefaultBaseURL+"\n" {
		t.Errorf("a third profile sees %q, want the default", got)
	}
}

func TestInvalidProfileNameIsAUsageErrorThatWritesNothing(t *testing.T) {
	env, path := configEnv(t)
	env["ZUPY_PROFILE"] = "Bad/Name"
	for _, args := range [][]string{
		{"config", "set", "base_url", "https://x.example/v1"},
		{"config", "unset", "base_url"},
		{"config", "get", "base_url"},
		{"config", "list"},
	} {
		r := run(t, env, nil, args...)
		if r.exit() != cmdutil.ExitUsage || !strings.Contains(r.err.Error(), `invalid profile name "Bad/Name"`) {
			t.Errorf("%q: exit %d, err %v; want exit 2 naming the profile", args, r.exit(), r.err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an invalid profile created the config file (stat: %v)", err)
	}
}

func TestHandEditedInvalidValueIsAUsageErrorNamingTheFile(t *testing.T) {
	env, path := configEnv(t)
	if err := os.WriteFile(path, []byte("version: 1\nprofiles:\n  default:\n    base_url: ftp://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"get", "list"} {
		args := []string{"config", sub}
		if sub == "get" {
			args = append(args, "base_url")
		}
		r := run(t, env, nil, args...)
		if r.exit() != cmdutil.ExitUsage || !strings.Contains(r.err.Error(), path) {
			t.Errorf("%s: exit %d, err %v; want exit 2 naming %s", sub, r.exit(), r.err, path)
		}
	}
}

func TestUnreadableFileIsAnErrorNotAUsageError(t *testing.T) {
	env, path := configEnv(t)
	if err := os.WriteFile(path, []byte("version: 1\nprofiles: [this is not a map\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, env, nil, "config", "list")
	if r.exit() != cmdutil.ExitError || !strings.Contains(r.err.Error(), path) {
		t.Errorf("broken file: exit %d, err %v; want exit 1 naming the file", r.exit(), r.err)
	}
}

func TestWrongArgumentCountIsAUsageError(t *testing.T) {
	env, _ := configEnv(t)
	for _, args := range [][]string{
		{"config", "get"},
		{"config", "set", "base_url"},
		{"config", "unset"},
		{"config", "path", "extra"},
		{"config", "list", "extra"},
		{"config", "frobnicate"},
	} {
		if r := run(t, env, nil, args...); r.exit() != cmdutil.ExitUsage {
			t.Errorf("%q: exit %d (%v), want 2", args, r.exit(), r.err)
		}
	}
}

func TestHelpListsEveryKey(t *testing.T) {
	f, _, _ := clitest.Factory(nil, "")
	long := NewCmdConfig(f).Long
	for _, k := range zconfig.Keys() {
		if !strings.Contains(long, "\n  "+k+" ") {
			t.Errorf("config help does not list %s:\n%s", k, long)
		}
	}
}

// parsed runs `zupy <args>` with every config subcommand stubbed by runF
// and returns the options the one that ran was given (nil if none ran).
func parsed(t *testing.T, env map[string]string, args ...string) (any, error) {
	t.Helper()
	f, _, _ := clitest.Factory(env, "")
	var got any
	keep := func(o any) error { got = o; return nil }
	g := &cobra.Command{Use: "config"}
	g.AddCommand(
		NewCmdGet(f, func(o *GetOptions) error { return keep(o) }),
		NewCmdSet(f, func(o *SetOptions) error { return keep(o) }),
		NewCmdUnset(f, func(o *UnsetOptions) error { return keep(o) }),
		NewCmdList(f, func(o *ListOptions) error { return keep(o) }),
		NewCmdPath(f, func(o *PathOptions) error { return keep(o) }),
	)
	err := clitest.Run(context.Background(), f, g, args...)
	return got, err
}

func TestNewCmdConfigParsesArgumentsIntoOptions(t *testing.T) {
	env := map[string]string{"ZUPY_PROFILE": "work"}
	for _, c := range []struct {
		args []string
		want any
	}{
		{[]string{"config", "get", "base_url", "-o", "json"}, GetOptions{Key: "base_url", JSON: true}},
		{[]string{"config", "set", "base_url", "http://x/v1"}, SetOptions{Key: "base_url", Value: "http://x/v1", Profile: "work"}},
		{[]string{"--profile", "other", "config", "unset", "default_key_id"}, UnsetOptions{Key: "default_key_id", Profile: "other"}},
		{[]string{"config", "list", "-o", "json"}, ListOptions{JSON: true}},
		{[]string{"config", "path"}, PathOptions{}},
	} {
		got, err := parsed(t, env, c.args...)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		// Compare the parsed fields; the dependencies are the factory's.
		var ok bool
		switch o := got.(type) {
		case *GetOptions:
			ok = o.Key == c.want.(GetOptions).Key && o.JSON == c.want.(GetOptions).JSON && o.Settings != nil && o.IO != nil
		case *SetOptions:
			w := c.want.(SetOptions)
			ok = o.Key == w.Key && o.Value == w.Value && o.Profile == w.Profile && o.JSON == w.JSON && o.Config != nil
		case *UnsetOptions:
			w := c.want.(UnsetOptions)
			ok = o.Key == w.Key && o.Profile == w.Profile && o.Config != nil
		case *ListOptions:
			ok = o.JSON == c.want.(ListOptions).JSON && o.Settings != nil
		case *PathOptions:
			_, want := c.want.(PathOptions)
			ok = want && o.ConfigPath != nil
		}
		if !ok {
			t.Errorf("%q: options %+v, want %+v", c.args, got, c.want)
		}
	}
	for _, args := range [][]string{
		{"config", "get"},
		{"config", "set", "base_url"},
		{"config", "unset", "a", "b"},
		{"config", "path", "x"},
		{"config", "list", "--bogus"},
	} {
		got, err := parsed(t, env, args...)
		if err == nil || got != nil {
			t.Errorf("%q: err %v, ran with %+v; want a refusal before the run", args, err, got)
		}
	}
}
