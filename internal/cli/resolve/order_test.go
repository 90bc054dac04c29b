package resolve_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/resolve"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/ui"
)

const (
	prod    = "https://api.zupy.com/v1"
	staging = "https://api-staging.zupy.com/v1"
	proxy   = "https://zupy-proxy.example.com/v1"
	emu     = "http://127.0.0.1:8790/v1"
)

// The purposes a base URL is decided for (order.go).
const (
	command     = "command"               // a command of the profile: BaseURL
	key         = "key"                   // the key of ping, api, rotate --self: Key (the key order, then ForKey)
	imports     = "keys import"           // a key given on stdin: ForKey
	scanned     = "scanned key"           // a key found by keys scan --verify: ForScannedKey
	nothing     = "(not sent)"            // wantURL of a scanned key that is not sent
	refusedHTTP = "(refused: plain http)" // wantURL of plain http refused with exit 2
	refused     = "(refused)"             // wantURL of a key refused with exit 2
	noKey       = "(no key)"              // wantURL when no key is found: exit 3
	saved       = "key_aaaaaaaaaaaa"      // a saved key, of keyEnv
	deflt       = "key_bbbbbbbbbbbb"      // the profile's default key, of keyEnv
)

// world is one row's configuration, set up through the real factory: the
// global flags parsed from args, the environment, config.yaml's default
// profile, and a keyring holding the saved keys.
type world struct {
	args    []string          // global flags: --base-url
	env     map[string]string // ZUPY_BASE_URL, ZUPY_API_KEY
	profile map[string]string // base_url, environment, default_key_id
}

func (w world) resolver(t *testing.T, keyEnv apikey.Environment) (*resolve.Resolver, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"ZUPY_CONFIG_DIR": dir}
	for k, v := range w.env {
		env[k] = v
	}
	if len(w.profile) > 0 {
		cfg := "version: 1\nprofiles:\n  default:\n"
		for k, v := range w.profile {
			cfg += "    " + k + ": " + v + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := cmdutil.New(ui.Test(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}), func(k string) string { return env[k] })
	f.Keyring = &clitest.FileKeyring{Path: filepath.Join(dir, "keyring.json")}
	fs := pflag.NewFlagSet("zupy", pflag.ContinueOnError)
	cmdutil.BindGlobalFlags(fs, &f.Global)
	if err := fs.Parse(w.args); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	store, err := f.Resolve.Store()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{saved, deflt} {
		secrets[id] = mustKey(t, keyEnv)
		if err := credentials.SaveKey(context.Background(), store, "default", id, secrets[id]); err != nil {
			t.Fatal(err)
		}
	}
	return f.Resolve, secrets
}

func mustKey(t *testing.T, env apikey.Environment) string {
	t.Helper()
	s, err := apikey.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func envKey(t *testing.T, env apikey.Environment) map[string]string {
	return map[string]string{credentials.EnvAPIKey: mustKey(t, env)}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// row is one row of TestOrder.
type row struct {
	name    string
	purpose string
	world   world
	keyEnv  apikey.Environment // the key's environment (saved keys, the key of import and scan)
	keyID   string             // --key-id
	// wantURL is where the request goes, or nothing, refused, refusedHTTP
	// or noKey; wantFrom what chose it; wantKey the key's source (purpose
	// key).
	wantURL, wantFrom, wantKey string
}

// remoteHTTP is plain http to a host of a network: refused unless opted into.
const (
	remoteHost = "10.0.0.5"
	remoteHTTP = "http://" + remoteHost + ":8790/v1"
)

// plainHTTPRows crosses remoteHTTP, named by the flag, the variable or the
// profile's base_url, with each way to opt in (none, the flag, the
// variable, the profile's setting), for each purpose. Without an opt-in
// a command, a key and an imported key are refused with exit 2; with one
// they go there. A scanned key never goes there, opted in or not: it is not
// the key's documented API (ForScannedKey).
func plainHTTPRows(envKey map[string]string) []row {
	urls := []struct {
		by, from, fromCommand string
		world                 world
	}{
		{"flag", "--base-url", "--base-url", world{args: []string{"--base-url", remoteHTTP}}},
		{"variable", "ZUPY_BASE_URL", "ZUPY_BASE_URL", world{env: map[string]string{"ZUPY_BASE_URL": remoteHTTP}}},
		{"profile", resolve.FromProfileBaseURL, "config.yaml", world{profile: map[string]string{"base_url": remoteHTTP}}},
	}
	optIns := []struct {
		name  string
		apply func(w world) world
	}{
		{"no opt-in", func(w world) world { return w }},
		{"--allow-insecure-http", func(w world) world { w.args = append(w.args, "--allow-insecure-http"); return w }},
		{"ZUPY_ALLOW_INSECURE_HTTP=1", func(w world) world { w.env = with(w.env, "ZUPY_ALLOW_INSECURE_HTTP", "1"); return w }},
		{"allow_insecure_http: true", func(w world) world { w.profile = with(w.profile, "allow_insecure_http", `"true"`); return w }},
	}
	var rows []row
	for _, u := range urls {
		for _, o := range optIns {
			opened := o.name != "no opt-in"
			for _, purpose := range []string{command, key, imports, scanned} {
				w := o.apply(u.world)
				r := row{name: fmt.Sprintf("http: remote by %s, %s, %s", u.by, purpose, o.name), purpose: purpose, world: w, keyEnv: apikey.Production}
				switch {
				case purpose == scanned:
					r.wantURL = nothing
				case !opened:
					r.wantURL = refusedHTTP
				default:
					r.wantURL, r.wantFrom = remoteHTTP, u.from
					if purpose == command {
						r.wantFrom = u.fromCommand
					}
				}
				if purpose == key {
					r.world.env = with(r.world.env, credentials.EnvAPIKey, envKey[credentials.EnvAPIKey])
					if r.wantURL == remoteHTTP {
						r.wantKey = credentials.EnvAPIKey
					}
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// TestOrder walks every row of the order of docs/production-and-staging.md#which-api-a-command-talks-to: for
// each purpose, the flag, the variable, the profile's base_url, its
// environment preset and the key's own environment (its prefix), and every
// conflict between a key of one environment and a profile of the other.
func TestOrder(t *testing.T) {
	live, test := apikey.Production, apikey.Staging
	liveKey, testKey := envKey(t, live), envKey(t, test)
	rows := []row{
		// A command of the profile: --base-url > ZUPY_BASE_URL > base_url >
		// environment > production.
		{name: "nothing configured", purpose: command, wantURL: prod, wantFrom: "default"},
		{name: "flag beats everything", purpose: command, world: world{args: []string{"--base-url", emu + "/"}, env: map[string]string{"ZUPY_BASE_URL": proxy},
			profile: map[string]string{"base_url": staging, "environment": "production"}}, wantURL: emu, wantFrom: "--base-url"},
		{name: "variable beats the profile", purpose: command, world: world{env: map[string]string{"ZUPY_BASE_URL": proxy},
			profile: map[string]string{"base_url": staging}}, wantURL: proxy, wantFrom: "ZUPY_BASE_URL"},
		{name: "profile base_url beats its environment", purpose: command, world: world{profile: map[string]string{"base_url": proxy, "environment": "staging"}},
			wantURL: proxy, wantFrom: "config.yaml"},
		{name: "profile environment preset", purpose: command, world: world{profile: map[string]string{"environment": "staging"}},
			wantURL: staging, wantFrom: "config.yaml"},

		// The key: --key-id > ZUPY_API_KEY > default_key_id; then its URL.
		{name: "--key-id beats ZUPY_API_KEY and the default key", purpose: key, keyEnv: live, keyID: saved,
			world:   world{env: testKey, profile: map[string]string{"default_key_id": deflt}},
			wantKey: "--key-id", wantURL: prod, wantFrom: "key environment"},
		{name: "ZUPY_API_KEY beats the default key", purpose: key, keyEnv: live,
			world:   world{env: testKey, profile: map[string]string{"default_key_id": deflt}},
			wantKey: credentials.EnvAPIKey, wantURL: staging, wantFrom: "key environment"},
		{name: "blank ZUPY_API_KEY falls to the default key", purpose: key, keyEnv: test,
			world:   world{env: map[string]string{credentials.EnvAPIKey: "  "}, profile: map[string]string{"default_key_id": deflt}},
			wantKey: "default key", wantURL: staging, wantFrom: "key environment"},
		{name: "no key anywhere", purpose: key, keyEnv: live, wantURL: noKey},
		// Its URL: --base-url > ZUPY_BASE_URL > base_url > environment > the key's prefix.
		{name: "live key alone goes to production", purpose: key, world: world{env: liveKey}, wantKey: credentials.EnvAPIKey, wantURL: prod, wantFrom: "key environment"},
		{name: "test key alone goes to staging", purpose: key, world: world{env: testKey}, wantKey: credentials.EnvAPIKey, wantURL: staging, wantFrom: "key environment"},
		{name: "key: flag", purpose: key, world: world{args: []string{"--base-url", emu}, env: with(testKey, "ZUPY_BASE_URL", proxy)},
			wantKey: credentials.EnvAPIKey, wantURL: emu, wantFrom: "--base-url"},
		{name: "key: variable beats base_url", purpose: key, world: world{env: with(testKey, "ZUPY_BASE_URL", emu), profile: map[string]string{"base_url": proxy}},
			wantKey: credentials.EnvAPIKey, wantURL: emu, wantFrom: "ZUPY_BASE_URL"},
		{name: "key: profile base_url", purpose: key, world: world{env: testKey, profile: map[string]string{"base_url": proxy}},
			wantKey: credentials.EnvAPIKey, wantURL: proxy, wantFrom: "profile base_url"},
		{name: "key: profile environment", purpose: key, world: world{env: testKey, profile: map[string]string{"environment": "staging"}},
			wantKey: credentials.EnvAPIKey, wantURL: staging, wantFrom: "profile environment"},
		// Conflicts: a key of one environment, a profile of the other.
		{name: "live key, staging profile", purpose: key, world: world{env: liveKey, profile: map[string]string{"environment": "staging"}}, wantURL: refused},
		{name: "test key, production profile", purpose: key, world: world{env: testKey, profile: map[string]string{"environment": "production"}}, wantURL: refused},
		{name: "test key, production profile with base_url", purpose: key, world: world{env: testKey, profile: map[string]string{"base_url": proxy, "environment": "production"}}, wantURL: refused},
		{name: "saved live default key, staging profile", purpose: key, keyEnv: live, world: world{profile: map[string]string{"default_key_id": deflt, "environment": "staging"}}, wantURL: refused},
		{name: "conflict, URL named by the variable", purpose: key, world: world{env: with(liveKey, "ZUPY_BASE_URL", emu), profile: map[string]string{"environment": "staging"}},
			wantKey: credentials.EnvAPIKey, wantURL: emu, wantFrom: "ZUPY_BASE_URL"},
		{name: "conflict, URL named by the flag", purpose: key, world: world{args: []string{"--base-url", emu}, env: liveKey, profile: map[string]string{"environment": "staging"}},
			wantKey: credentials.EnvAPIKey, wantURL: emu, wantFrom: "--base-url"},
		{name: "import: live key alone", purpose: imports, keyEnv: live, wantURL: prod, wantFrom: "key environment"},
		{name: "import: live key, staging profile", purpose: imports, keyEnv: live, world: world{profile: map[string]string{"environment": "staging"}}, wantURL: refused},
		{name: "import: test key, production profile with base_url", purpose: imports, keyEnv: test, world: world{profile: map[string]string{"base_url": proxy, "environment": "production"}}, wantURL: refused},
		{name: "import: matching profile base_url", purpose: imports, keyEnv: test, world: world{profile: map[string]string{"base_url": proxy, "environment": "staging"}}, wantURL: proxy, wantFrom: "profile base_url"},

		// A scanned key: its own documented API, a loopback emulator, or a
		// URL named for the run that is its environment's; never a
		// profile's custom base_url.
		{name: "scan: nothing configured, live", purpose: scanned, keyEnv: live, wantURL: prod},
		{name: "scan: nothing configured, test", purpose: scanned, keyEnv: test, wantURL: staging},
		{name: "scan: profile environment names no URL", purpose: scanned, keyEnv: live, world: world{profile: map[string]string{"environment": "staging"}}, wantURL: prod},
		{name: "scan: variable of its environment", purpose: scanned, keyEnv: test, world: world{env: map[string]string{"ZUPY_BASE_URL": staging}}, wantURL: staging},
		{name: "scan: variable of the other environment", purpose: scanned, keyEnv: live, world: world{env: map[string]string{"ZUPY_BASE_URL": staging}}, wantURL: nothing},
		{name: "scan: flag of its environment", purpose: scanned, keyEnv: live, world: world{args: []string{"--base-url", prod}}, wantURL: prod},
		{name: "scan: flag elsewhere", purpose: scanned, keyEnv: live, world: world{args: []string{"--base-url", proxy}}, wantURL: nothing},
		{name: "scan: flag on loopback", purpose: scanned, keyEnv: live, world: world{args: []string{"--base-url", "http://localhost:8790/v1"}}, wantURL: "http://localhost:8790/v1"},
		{name: "scan: profile base_url on loopback", purpose: scanned, keyEnv: test, world: world{profile: map[string]string{"base_url": "http://[::1]:8790/v1", "environment": "production"}}, wantURL: "http://[::1]:8790/v1"},
		{name: "scan: profile base_url of its documented API", purpose: scanned, keyEnv: test, world: world{profile: map[string]string{"base_url": staging}}, wantURL: staging},
		// The safety rule: a production key never goes to the profile's
		// own server, even when the profile says production.
		{name: "scan: profile custom base_url of its environment", purpose: scanned, keyEnv: live, world: world{profile: map[string]string{"base_url": "https://example.invalid/v1", "environment": "production"}}, wantURL: nothing},
		{name: "scan: profile custom base_url without environment", purpose: scanned, keyEnv: live, world: world{profile: map[string]string{"base_url": proxy}}, wantURL: nothing},

		// --- plain http ---
		// Plain http to a host other than this machine or a single-label
		// name is refused (exit 2) unless opted into (--allow-insecure-http,
		// ZUPY_ALLOW_INSECURE_HTTP=1, allow_insecure_http: true): these
		// rows pass, and plainHTTPRows adds every remote http URL (by flag,
		// variable, profile) for every purpose under every opt-in.
		{name: "http: loopback emulator by flag", purpose: command, world: world{args: []string{"--base-url", "http://127.0.0.1:8790/v1"}}, wantURL: "http://127.0.0.1:8790/v1", wantFrom: "--base-url"},
		{name: "http: loopback emulator by variable, key", purpose: key, world: world{env: with(liveKey, "ZUPY_BASE_URL", "http://localhost:8790/v1")},
			wantKey: credentials.EnvAPIKey, wantURL: "http://localhost:8790/v1", wantFrom: "ZUPY_BASE_URL"},
		{name: "http: loopback profile base_url, scanned key", purpose: scanned, keyEnv: live, world: world{profile: map[string]string{"base_url": "http://127.0.0.1:8790/v1"}}, wantURL: "http://127.0.0.1:8790/v1"},
		{name: "http: single-label host by flag", purpose: command, world: world{args: []string{"--base-url", "http://emulator:8790/v1"}}, wantURL: "http://emulator:8790/v1", wantFrom: "--base-url"},
		{name: "http: single-label host by variable, key", purpose: key, world: world{env: with(liveKey, "ZUPY_BASE_URL", "http://emulator:8790/v1")},
			wantKey: credentials.EnvAPIKey, wantURL: "http://emulator:8790/v1", wantFrom: "ZUPY_BASE_URL"},
	}
	rows = append(rows, plainHTTPRows(liveKey)...)
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.keyEnv
			if env == "" {
				env = live
			}
			r, secrets := tt.world.resolver(t, env)
			var gotURL, gotFrom, gotKey string
			var err error
			switch tt.purpose {
			case command:
				var base config.Value
				base, err = r.BaseURL()
				gotURL, gotFrom = base.Value, base.Origin
				switch base.Source {
				case config.SourceDefault:
					gotFrom = "default"
				case config.SourceFile:
					gotFrom = filepath.Base(base.Origin)
				}
			case key:
				var c *resolve.Choice
				if c, err = r.Key(context.Background(), tt.keyID); err == nil {
					gotURL, gotFrom, gotKey = c.BaseURL, c.BaseURLFrom, c.Source
					if c.FromStore() && c.Key.Secret != secrets[c.KeyID] {
						t.Errorf("key %s read %q, not its saved secret", c.KeyID, c.Key.Secret)
					}
				}
			case imports:
				parsed, perr := apikey.Parse(mustKey(t, env))
				if perr != nil {
					t.Fatal(perr)
				}
				gotURL, gotFrom, err = r.ForKey(parsed, "standard input")
			case scanned:
				var skip string
				if gotURL, skip, err = r.ForScannedKey(env); err == nil && gotURL == "" {
					if skip == "" {
						t.Errorf("not sent, with no reason")
					}
					gotURL = nothing
				} else if skip != "" {
					t.Errorf("sent to %s with the reason %q", gotURL, skip)
				}
			}
			switch tt.wantURL {
			case refusedHTTP:
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "refusing plain http to "+remoteHost) {
					t.Fatalf("err = %v (exit %d), want the plain-http refusal (exit 2)", err, cmdutil.ExitCode(err))
				}
				return
			case refused:
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "nothing was sent") {
					t.Fatalf("err = %v (exit %d), want the refusal (exit 2)", err, cmdutil.ExitCode(err))
				}
				return
			case noKey:
				if cmdutil.ExitCode(err) != cmdutil.ExitAuth {
					t.Fatalf("err = %v (exit %d), want no key (exit 3)", err, cmdutil.ExitCode(err))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gotURL != tt.wantURL || (tt.wantFrom != "" && gotFrom != tt.wantFrom) || gotKey != tt.wantKey {
				t.Errorf("got %s from %q with key %q; want %s from %q with key %q", gotURL, gotFrom, gotKey, tt.wantURL, tt.wantFrom, tt.wantKey)
			}
		})
	}
}
