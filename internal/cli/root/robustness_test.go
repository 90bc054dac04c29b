package root_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// hostileVerify serves /v1/auth/verify with the status and headers given.
func hostileVerify(t *testing.T, status int, headers map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"valid":true,"key_id":"key_0123456789ab","environment":"test","permissions":["loyalty:read"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"error":"rate_limit_exceeded","message":"Request rate limit exceeded"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func testKeyEnv(t *testing.T, srv *httptest.Server) []string {
	t.Helper()
	key, err := apikey.Generate(apikey.Staging)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"ZUPY_API_KEY=" + key, "ZUPY_BASE_URL=" + srv.URL + "/v1"}
}

// TestPingClampsAbsurdRateLimitHeaders: a server's X-RateLimit-* and
// Retry-After far out of range are clamped, so ping -o json still writes
// its document (a reset in the year 292277026596 made it fail).
func TestPingClampsAbsurdRateLimitHeaders(t *testing.T) {
	srv, _ := hostileVerify(t, http.StatusOK, map[string]string{
		"X-RateLimit-Reset":     "9223372036854775807",
		"X-RateLimit-Limit":     "9223372036854775807",
		"X-RateLimit-Remaining": "-9223372036854775808",
		"Retry-After":           "9223372036854775807",
	})
	for _, format := range []string{"json", "text"} {
		r := runZupy(t, testKeyEnv(t, srv), "ping", "-o", format)
		if r.code != 0 {
			t.Fatalf("ping -o %s: exit %d\n%s", format, r.code, r.stderr)
		}
		if format == "json" && (!strings.Contains(r.stdout, `"limit": 1000000000`) || !strings.Contains(r.stdout, `"remaining": 0`)) {
			t.Errorf("ping -o json did not clamp the counts:\n%s", r.stdout)
		}
	}
}

// TestPingWaitEndsAtWaitMax: against a server that answers 429 to every
// request, ping --wait gives up once its waits would pass --wait-max, with
// exit 5, instead of waiting forever.
func TestPingWaitEndsAtWaitMax(t *testing.T) {
	srv, n := hostileVerify(t, http.StatusTooManyRequests, map[string]string{"Retry-After": "1"})
	r := runZupy(t, testKeyEnv(t, srv), "ping", "--wait", "--wait-max", "2s")
	if r.code != 5 {
		t.Fatalf("exit %d, want 5\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "--wait-max 2s") {
		t.Errorf("stderr does not name --wait-max:\n%s", r.stderr)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("%d requests, want 3 (two 1 s waits fit in 2 s)", got)
	}
	if r.took > time.Minute {
		t.Errorf("took %s", r.took)
	}
	// A wait the server names beyond --wait-max is not started at all.
	srv, n = hostileVerify(t, http.StatusTooManyRequests, map[string]string{"Retry-After": "86400"})
	r = runZupy(t, testKeyEnv(t, srv), "ping", "--wait")
	if r.code != 5 || n.Load() != 1 {
		t.Fatalf("exit %d after %d requests, want 5 after 1\n%s", r.code, n.Load(), r.stderr)
	}
}

// TestAuthStatusWithoutKeyringExitsThree: with no OS keyring (a first run
// on a headless box) auth status prints what it can and exits 3, no usable
// session, not 1.
func TestAuthStatusWithoutKeyringExitsThree(t *testing.T) {
	for _, args := range [][]string{{"auth", "status"}, {"auth", "status", "-o", "json"}, {"--profile", "fresh", "auth", "status"}} {
		r := runZupy(t, []string{"ZUPY_TEST_KEYRING=unavailable", "ZUPY_BASE_URL=http://127.0.0.1:9/v1"}, args...)
		if r.code != 3 {
			t.Errorf("zupy %s: exit %d, want 3\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "the keyring could not be read") {
			t.Errorf("zupy %s: stdout does not say the keyring could not be read:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
}

// TestHabitsAreUsageErrors: the gh and stripe habits zupy answers with what
// to type instead are usage errors, exit 2.
func TestHabitsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"keys", "delete", "key_0123456789ab", "--yes"},
		{"keys", "rm", "key_0123456789ab"},
		{"keys", "creat", "--name", "x"},
		{"ping", "--api-key", "zup_live_sk_AAAAAAAAAAAAAAAAAAAA"}, // zupy:allow
	} {
		r := runZupy(t, []string{"ZUPY_BASE_URL=http://127.0.0.1:9/v1"}, args...)
		if r.code != 2 {
			t.Errorf("zupy %s: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "zup_live_sk_A") {
			t.Errorf("zupy %s echoed the key:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
}
