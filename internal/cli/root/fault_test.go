package root_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/wire"
)

// zupyResult is what one zupy process did.
type zupyResult struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// runZupy runs zupy as a real process (TestMain put it on PATH) with
// a fresh home and configuration, plus env.
func runZupy(t *testing.T, env []string, args ...string) zupyResult {
	t.Helper()
	bin, err := exec.LookPath("zupy")
	if err != nil {
		t.Fatalf("zupy is not on PATH: %v", err)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{
		"HOME=" + home,
		"ZUPY_CONFIG_DIR=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"ZUPY_TEST_KEYRING_FILE=" + filepath.Join(home, "keyring.json"),
		"NO_COLOR=1",
		"GORACE=" + os.Getenv("GORACE"), // no second's sleep at exit (zupytest.QuietRaceExit)
	}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Run()
	r := zupyResult{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("zupy %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// sessionToken makes a session-shaped token at run time.
func sessionToken() string { return "zup_sess_" + (rand.Text() + rand.Text())[:40] }

// TestBadServerAnswers points zupy at servers that answer badly — an HTML
// page, an empty body, JSON cut short, a 502, or nothing at all — for a GET
// (retried: a timeout and a 502 are retried for GET) and a POST (never
// retried). Each time zupy prints nothing on stdout, one error line (and a
// hint) on stderr, exits 1, sends at most 1 + --retries requests (1 for
// the POST), and ends within the bound the flags set: --timeout per
// attempt plus the retries' backoff (1 s, 2 s… plus up to 1 s of jitter),
// with 3 s for starting a process on a loaded machine.
//
// --timeout is short only where it is what is tested (the server that never
// answers), and even there long enough for a loaded machine to deliver the
// request: a server that answers at once gets a timeout it never meets, so
// that a busy machine cannot turn its answer into a timeout.
func TestBadServerAnswers(t *testing.T) {
	const answered, unanswered = 30 * time.Second, 1500 * time.Millisecond
	const retries = 1
	stop := make(chan struct{})
	type answer struct {
		name    string
		handler http.HandlerFunc
		code    string // the error code printed
		retried bool   // a GET is retried
	}
	answers := []answer{
		{"an HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body><h1>Sign in to the hotel Wi-Fi</h1></body></html>")
		}, api.CodeInvalidResponse, false},
		{"an empty 200", func(w http.ResponseWriter, r *http.Request) {}, api.CodeInvalidResponse, false},
		{"an empty 201", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }, api.CodeInvalidResponse, false},
		{"JSON cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"key_id":"key_abcdefghijkl","name":"ci","api_key":"zup_li`)
		}, api.CodeInvalidResponse, false},
		{"an HTML 502", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		}, wire.CodeInternal, true},
		{"no answer", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		}, "network_error", true},
	}
	commands := []struct {
		name string
		args []string
		get  bool
	}{
		{"keys list (GET)", []string{"keys", "list"}, true},
		{"keys create (POST)", []string{"keys", "create", "--name", "ci", "--scopes", "loyalty:read"}, false},
	}
	var servers []*httptest.Server
	t.Cleanup(func() {
		close(stop) // first: a handler that never answers returns
		for _, s := range servers {
			s.Close()
		}
	})
	for _, a := range answers {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			a.handler(w, r)
		}))
		servers = append(servers, srv)
		for _, c := range commands {
			t.Run(a.name+"/"+c.name, func(t *testing.T) {
				requests.Store(0)
				token := sessionToken()
				timeout := answered
				if a.code == "network_error" {
					timeout = unanswered
				}
				args := append(append([]string{}, c.args...), "--timeout", timeout.String(), "--retries", fmt.Sprint(retries))
				r := runZupy(t, []string{"ZUPY_BASE_URL=" + srv.URL + "/v1", "ZUPY_SESSION_TOKEN=" + token}, args...)

				if r.code != 1 {
					t.Errorf("exit %d, want 1; stderr %q", r.code, r.stderr)
				}
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing", r.stdout)
				}
				var lines []string // without the notices of a retry
				for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
					if !strings.Contains(l, "; retrying in ") {
						lines = append(lines, l)
					}
				}
				if len(lines) < 1 || len(lines) > 2 || !strings.HasPrefix(lines[0], "Error: "+a.code+" - ") {
					t.Errorf("stderr %q: want one line \"Error: %s - …\" and at most a hint", r.stderr, a.code)
				}
				for _, leak := range []string{"<html", "Wi-Fi", "key_abcdefghijkl", "zup_li", token, "invalid character", "unexpected end"} {
					if strings.Contains(r.stderr, leak) {
						t.Errorf("stderr %q shows %q", r.stderr, leak)
					}
				}
				attempts := 1
				if c.get && a.retried {
					attempts += retries
				}
				if n := int(requests.Load()); n != attempts {
					t.Errorf("the server got %d requests, want %d", n, attempts)
				}
				bound := 3 * time.Second
				if timeout == unanswered {
					bound += time.Duration(attempts) * timeout
				}
				for i := range attempts - 1 {
					bound += time.Duration(1<<i)*time.Second + time.Second
				}
				if r.took > bound {
					t.Errorf("took %v, beyond the bound %v of --timeout %v and --retries %d", r.took, bound, timeout, retries)
				}
			})
		}
	}
}

// TestConcurrentRotate runs two `zupy keys rotate` processes on one key at
// the same moment (the emulator holds each rotation until both have
// arrived): one rotates it and exits 0, the other gets the 409 message and
// exits 1.
func TestConcurrentRotate(t *testing.T) {
	var mu sync.Mutex
	arrived := 0
	both := make(chan struct{})
	base, session := clitest.Emulator(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rotate") {
				mu.Lock()
				arrived++
				if arrived == 2 {
					close(both)
				}
				mu.Unlock()
				select {
				case <-both:
				case <-time.After(20 * time.Second): // the other never came: the test fails below
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	key, _, err := api.New(api.Options{BaseURL: base}).CreateKey(context.Background(), session,
		api.CreateKeyRequest{Name: "ci", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"ZUPY_BASE_URL=" + base, "ZUPY_SESSION_TOKEN=" + session}
	results := make([]zupyResult, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = runZupy(t, env, "keys", "rotate", key.KeyID, "--no-verify") })
	}
	wg.Wait()
	mu.Lock()
	if arrived != 2 {
		t.Fatalf("%d rotations reached the emulator, want 2", arrived)
	}
	mu.Unlock()
	won, lost := results[0], results[1]
	if won.code != 0 {
		won, lost = lost, won
	}
	if won.code != 0 || !strings.HasPrefix(won.stdout, "zup_") {
		t.Errorf("no rotation won: exits %d and %d; stderr %q, %q", won.code, lost.code, won.stderr, lost.stderr)
	}
	want := "Error: " + wire.CodeConflict + " - " + wire.MsgKeyAlreadyRotated
	if lost.code != 1 || !strings.HasPrefix(lost.stderr, want) || lost.stdout != "" {
		t.Errorf("the other rotation: exit %d, stdout %q, stderr %q; want exit 1 and %q", lost.code, lost.stdout, lost.stderr, want)
	}
}
