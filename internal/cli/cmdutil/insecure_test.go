package cmdutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestInsecureHTTPRefusedUnlessLocalOrOptedIn crosses base URLs with the
// three ways to opt in: plain http to a remote host is a usage error from
// every client the factory builds (ClientFor, Client, QuietClient), naming
// the three ways, unless the host is loopback or a single-label name, or
// the flag, the variable or the profile's setting opts in.
func TestInsecureHTTPRefusedUnlessLocalOrOptedIn(t *testing.T) {
	urls := []struct {
		url    string
		remote bool
	}{
		{"https://api.zupy.com/v1", false},
		{"https://10.0.0.5/v1", false},
		{"http://api.zupy.com/v1", true},
		{"HTTP://API.ZUPY.COM/v1", true},
		{"http://10.0.0.5:8790/v1", true},
		{"http://[fe80::1]:8790/v1", true},
		{"http://0.0.0.0:8790/v1", true},
		{"http://localhost.example.com/v1", true},
		{"http://127.0.0.1:8790/v1", false},
		{"http://127.3.4.5:8790/v1", false},
		{"http://[::1]:8790/v1", false},
		{"http://localhost:8790/v1", false},
		{"http://emulator:8790/v1", false},
	}
	optIns := []struct {
		name  string
		apply func(t *testing.T, f *Factory, env testEnv)
		opens bool
	}{
		{"none", func(*testing.T, *Factory, testEnv) {}, false},
		{"flag", func(t *testing.T, f *Factory, _ testEnv) { setFlag(t, f, "allow-insecure-http", "true") }, true},
		{"flag false", func(t *testing.T, f *Factory, _ testEnv) { setFlag(t, f, "allow-insecure-http", "false") }, false},
		{"env", func(_ *testing.T, _ *Factory, env testEnv) { env["ZUPY_ALLOW_INSECURE_HTTP"] = "1" }, true},
		{"env 0", func(_ *testing.T, _ *Factory, env testEnv) { env["ZUPY_ALLOW_INSECURE_HTTP"] = "0" }, false},
		{"profile", func(t *testing.T, _ *Factory, env testEnv) {
			writeConfig(t, env["ZUPY_CONFIG_DIR"], "version: 1\nprofiles:\n  default:\n    allow_insecure_http: \"true\"\n")
		}, true},
		{"other profile", func(t *testing.T, _ *Factory, env testEnv) {
			writeConfig(t, env["ZUPY_CONFIG_DIR"], "version: 1\nprofiles:\n  other:\n    allow_insecure_http: \"true\"\n")
		}, false},
	}
	for _, u := range urls {
		for _, o := range optIns {
			env := testEnv{"ZUPY_CONFIG_DIR": t.TempDir(), "ZUPY_BASE_URL": u.url}
			f, _ := newFactory(env)
			o.apply(t, f, env)
			wantRefused := u.remote && !o.opens
			_, errFor := f.ClientFor(u.url)
			_, errClient := f.Client()
			_, errQuiet := f.QuietClient()
			for name, err := range map[string]error{"ClientFor": errFor, "Client": errClient, "QuietClient": errQuiet} {
				var usage *UsageError
				switch {
				case wantRefused && !errors.As(err, &usage):
					t.Errorf("%s, opt-in %s: %s: %v, want a usage error", u.url, o.name, name, err)
				case wantRefused:
					_, msg, _, hint := Describe(err)
					if !strings.Contains(msg, "refusing plain http") || !strings.Contains(hint, "--allow-insecure-http, ZUPY_ALLOW_INSECURE_HTTP=1 or `zupy config set allow_insecure_http true`") {
						t.Errorf("%s: message %q, hint %q: the refusal must name the three ways", u.url, msg, hint)
					}
				case err != nil:
					t.Errorf("%s, opt-in %s: %s: %v, want a client", u.url, o.name, name, err)
				}
			}
		}
	}
}

func setFlag(t *testing.T, f *Factory, name, value string) {
	t.Helper()
	fs := pflag.NewFlagSet("zupy", pflag.ContinueOnError)
	BindGlobalFlags(fs, &f.Global)
	if err := fs.Set(name, value); err != nil {
		t.Fatal(err)
	}
}
