package root_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/openapitest"
	"github.com/zupy/zupy-cli/internal/ui"
	"github.com/zupy/zupy-cli/internal/zupytest"
)

// TestMain lets scripts run `exec zupy` as a real process: the test binary
// re-executes itself as the command (internal/zupytest), found on PATH, with
// a file-backed fake of the OS keyring (ZUPY_TEST_KEYRING_FILE) and a
// sleeper that moves the emulator's clock (ZUPY_TEST_SLEEP_ON_EMULATOR_CLOCK),
// both set by setupScript. A script's `zupy` line runs the same in this
// process (cmdZupy). It is not testscript.Main, whose `zupy` command would
// take the name.
//
// Its zupy processes skip the race detector's one-second sleep at exit
// (zupytest.QuietRaceExit; scriptEnv passes GORACE on).
func TestMain(m *testing.M) {
	if zupytest.IsZupy() {
		os.Exit(zupytest.Run())
	}
	zupytest.QuietRaceExit()
	os.Exit(zupytest.WithZupyOnPath(m.Run))
}

// TestScripts runs every script in testdata/script/<group>/ against a real
// emulator served from this process over loopback, on a fresh SQLite
// database: one subtest per group folder, found by globbing, so a new group
// needs no change here.
func TestScripts(t *testing.T) {
	groups, err := filepath.Glob(filepath.Join("testdata", "script", "*"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, dir := range groups {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		ran++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 dir,
				RequireExplicitExec: true,
				Setup:               setupScript,
				Condition:           toolCondition,
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"clock":     cmdClock,
					"jsonget":   cmdJSONGet,
					"perm":      cmdPerm,
					"outboxes":  cmdOutboxCount,
					"envfile":   cmdEnvFile,
					"writefile": cmdWriteFile,
					"requests":  cmdRequests,
					"zupy":      cmdZupy,
				},
			})
		})
	}
	if ran == 0 {
		t.Fatal("no script groups under testdata/script")
	}
}

func setupScript(env *testscript.Env) error {
	cfg := emulator.Config{DataDir: filepath.Join(env.WorkDir, ".emulator")}
	// A script with a .trust-loopback file sends X-Forwarded-For as a proxy
	// on loopback would: its emulator believes it (zupy emulator start
	// --trusted-proxy 127.0.0.0/8).
	if _, err := os.Stat(filepath.Join(env.WorkDir, ".trust-loopback")); err == nil {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	srv, err := emulator.Open(context.Background(), cfg)
	if err != nil {
		return err
	}
	counts := &requestCounts{}
	// Every exchange is validated against docs/openapi.yaml; a violation
	// fails the script once its emulator is closed (deferred calls run last
	// to first).
	contract := &openapitest.Violations{}
	env.Defer(func() {
		if err := contract.Err(); err != nil {
			env.T().Fatal(err)
		}
	})
	hs := httptest.NewServer(counts.wrap(openapitest.Middleware(srv.Handler(), contract.Add)))
	env.Defer(func() {
		hs.Close()
		srv.Close()
		sentTo.Delete(hs.URL)
	})
	sentTo.Store(hs.URL, counts)
	scriptEnv(env, hs.URL)
	return nil
}

// scriptEnv is the environment of a script whose emulator listens at url.
func scriptEnv(env *testscript.Env, url string) {
	env.Setenv("EMULATOR", url)
	env.Setenv("ZUPY_BASE_URL", url+"/v1")
	// The same emulator under another base URL, for tests of what is sent
	// where.
	env.Setenv("EMULATOR_LOCALHOST", strings.Replace(url, "127.0.0.1", "localhost", 1))
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("ZUPY_CONFIG_DIR", filepath.Join(env.WorkDir, ".config", "zupy"))
	env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, ".local", "share"))
	env.Setenv(zupytest.EnvKeyringFile, filepath.Join(env.WorkDir, ".keyring.json"))
	// Waits (a retry after a 429, ping --wait) move the emulator's clock
	// instead of the wall clock's: what that clock decides (cooldowns,
	// Retry-After, expiry) is tested without waiting for it. A script that
	// checks a real-time behaviour sets it empty, saying why.
	env.Setenv(zupytest.EnvEmulatorWait, url)
	for _, k := range []string{zupytest.EnvKeyring, "ZUPY_PROFILE", "ZUPY_API_KEY", "ZUPY_SESSION_TOKEN", "ZUPY_DEBUG", "NO_COLOR", "CLICOLOR_FORCE"} {
		env.Setenv(k, "")
	}
	// testscript passes on no variable it does not know: without this, each
	// zupy of a -race run would sleep a second at exit.
	env.Setenv("GORACE", os.Getenv("GORACE"))
}

// scriptTools are the external programs scripts may ask for with the
// condition [tool:NAME], with the Debian package of each.
var scriptTools = map[string]string{"git": "git", "bash": "bash", "curl": "curl"}

// toolCondition answers [tool:NAME]: true when NAME is on PATH. A missing
// tool is false outside CI (the script skips or stops, saying why) and an
// error in CI, naming the Debian package, as clitest.RequireTool decides.
func toolCondition(cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "tool:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	deb, ok := scriptTools[name]
	if !ok {
		return false, fmt.Errorf("[tool:%s]: not in scriptTools (script_test.go)", name)
	}
	if _, err := exec.LookPath(name); err == nil {
		return true, nil
	}
	if ui.InCI(os.Getenv) {
		return false, fmt.Errorf("%s is missing: install the Debian package %s (make deps installs it)", name, deb)
	}
	return false, nil
}

// sentTo maps each script's emulator URL to the requests it has received.
var sentTo sync.Map

// requestCounts counts the requests an emulator has received under /v1,
// and those of them authenticated with a session token.
type requestCounts struct {
	all, session atomic.Int64
}

func (c *requestCounts) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			c.all.Add(1)
			if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer zup_sess_") {
				c.session.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// requests reset | requests all|session N: zeroes the counts of requests the
// emulator received under /v1, or checks how many it received (all of them,
// or those sent with a session token) since the last reset.
func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := sentTo.Load(ts.Getenv("EMULATOR"))
	if !ok {
		ts.Fatalf("requests: no emulator for this script")
	}
	c := v.(*requestCounts)
	if len(args) == 1 && args[0] == "reset" {
		c.all.Store(0)
		c.session.Store(0)
		return
	}
	if len(args) != 2 || (args[0] != "all" && args[0] != "session") {
		ts.Fatalf("usage: requests reset | requests all|session N")
	}
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	got := c.all.Load()
	if args[0] == "session" {
		got = c.session.Load()
	}
	if (got == want) == neg {
		ts.Fatalf("emulator received %d %s requests, want %d", got, args[0], want)
	}
}

// clock SECONDS moves the emulator's clock forward; `clock minute` moves
// it to the start of its next minute, so that what follows within the
// minute (a few requests a script counts per minute) lands in one bucket
// however slow the machine.
func cmdClock(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: clock SECONDS|minute")
	}
	var n int
	if args[0] == "minute" {
		resp, err := http.Get(ts.Getenv("EMULATOR") + "/_emulator/clock")
		ts.Check(err)
		var now struct {
			Now time.Time `json:"now"`
		}
		err = json.NewDecoder(resp.Body).Decode(&now)
		resp.Body.Close()
		ts.Check(err)
		n = 60 - now.Now.Second()
	} else {
		var err error
		n, err = strconv.Atoi(args[0])
		ts.Check(err)
	}
	body := fmt.Sprintf(`{"advance_seconds": %d}`, n)
	resp, err := http.Post(ts.Getenv("EMULATOR")+"/_emulator/clock", "application/json", strings.NewReader(body))
	ts.Check(err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ts.Fatalf("clock: status %d", resp.StatusCode)
	}
}

// jsonget FIELD VAR sets VAR to the string or number at the dotted path
// FIELD of the last command's stdout (a JSON document).
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonget FIELD VAR")
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
	dec.UseNumber()
	ts.Check(dec.Decode(&v))
	for _, part := range strings.Split(args[0], ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			ts.Check(err)
			if i >= len(x) {
				ts.Fatalf("jsonget: index %d out of range", i)
			}
			v = x[i]
		default:
			ts.Fatalf("jsonget: %s: not an object", args[0])
		}
	}
	if v == nil {
		ts.Fatalf("jsonget: %s: missing", args[0])
	}
	ts.Setenv(args[1], fmt.Sprint(v))
}

// perm FILE MODE checks a file's permission bits (octal, e.g. 0600).
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm FILE MODE")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := fi.Mode().Perm(); (uint64(got) == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// outboxes N checks how many OTP messages the emulator has sent.
func cmdOutboxCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: outboxes N")
	}
	resp, err := http.Get(ts.Getenv("EMULATOR") + "/_emulator/outbox")
	ts.Check(err)
	defer resp.Body.Close()
	var box struct{ Messages []json.RawMessage }
	ts.Check(json.NewDecoder(resp.Body).Decode(&box))
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if (len(box.Messages) == want) == neg {
		ts.Fatalf("outbox has %d messages, want %d", len(box.Messages), want)
	}
}

// TestScriptZupysSkipTheRaceExitSleep: the zupy processes of a script get
// this process's GORACE, which TestMain set to skip the race detector's
// second at exit (or the caller's own atexit_sleep_ms, which it keeps).
func TestScriptZupysSkipTheRaceExitSleep(t *testing.T) {
	env := &testscript.Env{WorkDir: t.TempDir()}
	scriptEnv(env, "http://127.0.0.1:1")
	want := os.Getenv("GORACE")
	if got := env.Getenv("GORACE"); got != want || !strings.Contains(got, "atexit_sleep_ms=") {
		t.Errorf("a script's GORACE = %q, this test's %q; want the same, with atexit_sleep_ms set", got, want)
	}
}

func TestToolConditionFailsInCIAndIsFalseElsewhere(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "false")
	if ok, err := toolCondition("tool:git"); ok || err != nil {
		t.Errorf("outside CI, missing git: %v, %v; want false, nil", ok, err)
	}
	t.Setenv("CI", "true")
	if _, err := toolCondition("tool:git"); err == nil || !strings.Contains(err.Error(), "Debian package git") {
		t.Errorf("in CI, missing git: err = %v; want it to name the Debian package", err)
	}
}
