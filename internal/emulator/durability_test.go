package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// childEnv makes the test binary serve the emulator on the data dir it
// names, logging at Info to stderr as `zupy emulator start` does and printing
// its URL on stdout, until killed: the emulator as a process of its own, for
// the tests that kill it or limit what it may write.
const childEnv = "ZUPY_EMULATOR_CHILD_DIR"

func TestEmulatorChild(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("helper process for the crash and fault tests")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := Open(context.Background(), Config{DataDir: dir, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	_ = http.Serve(ln, srv.Handler())
}

// startChild starts the helper on dir, its log going to logs, and returns its
// base URL; the child is killed when the test ends.
func startChild(t *testing.T, dir string, logs io.Writer) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmulatorChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child did not print its URL: %v", err)
	}
	return cmd, strings.TrimSpace(line)
}

func call(client *http.Client, method, url, auth string, body any) (int, []byte, error) {
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req, err := http.NewRequest(method, url, &buf)
	if err != nil {
		return 0, nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(res.Body)
	return res.StatusCode, b.Bytes(), err
}

// crashRounds is how many times TestAcknowledgedKeysSurviveSIGKILL kills
// the emulator; ZUPY_CRASH_ROUNDS asks for more.
func crashRounds(t *testing.T) int {
	if v := os.Getenv("ZUPY_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ZUPY_CRASH_ROUNDS=%q: want a positive number", v)
		}
		return n
	}
	return 12
}

// TestAcknowledgedKeysSurviveSIGKILL kills the emulator with SIGKILL while
// four clients create keys, again and again on the same data directory
// (ZUPY_CRASH_ROUNDS times, 12 by default): after each restart the keys
// whose creation was acknowledged (a 201) before the kill verify, and after
// the last one every key acknowledged in any round does.
func TestAcknowledgedKeysSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	client := &http.Client{Timeout: 10 * time.Second}
	var acked []string // every key acknowledged so far, over all rounds
	var last []string  // those of the last round
	session := ""
	rounds := crashRounds(t)
	for round := range rounds {
		cmd, base := startChild(t, dir, io.Discard)
		for _, k := range last { // all of them are checked at the end
			status, body, err := call(client, "GET", base+"/v1/auth/verify", k, nil)
			if err != nil || status != 200 {
				t.Fatalf("round %d: an acknowledged key was lost after SIGKILL: %d %s %v", round, status, body, err)
			}
		}
		if session == "" { // the session is stored: it outlives the kills
			session = loginOver(t, client, base)
		}
		last = createUntilKilled(t, client, cmd, base, session, 10+round*7%40)
		acked = append(acked, last...)
	}
	_, base := startChild(t, dir, io.Discard)
	for _, k := range acked {
		status, body, err := call(client, "GET", base+"/v1/auth/verify", k, nil)
		if err != nil || status != 200 {
			t.Fatalf("after the last SIGKILL an acknowledged key was lost: %d %s %v", status, body, err)
		}
	}
	if len(acked) < rounds*10 {
		t.Fatalf("only %d keys acknowledged in %d rounds: the kills came too early to test anything", len(acked), rounds)
	}
	t.Logf("%d SIGKILLs under 4 parallel writers: all %d acknowledged keys verified", rounds, len(acked))
}

// createUntilKilled creates keys from four workers (the session budget is
// 120/min, and each child starts with a fresh limiter) and kills the child
// with SIGKILL once at least killAfter creations were acknowledged, while
// the workers are still at it. It returns the acknowledged keys.
func createUntilKilled(t *testing.T, client *http.Client, cmd *exec.Cmd, base, session string, killAfter int) []string {
	t.Helper()
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 25 {
				status, body, err := call(client, "POST", base+"/v1/api-keys", session,
					map[string]any{"name": fmt.Sprintf("load %d", i), "permissions": []string{"loyalty:read"}, "rate_limit": 2000})
				if err != nil {
					return // the child is gone
				}
				if status == http.StatusCreated {
					var k wire.Key
					json.Unmarshal(body, &k)
					mu.Lock()
					acked = append(acked, k.APIKey)
					mu.Unlock()
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		select {
		case <-done:
			t.Fatalf("the workers finished before %d creations were acknowledged (%d were)", killAfter, n)
		default:
		}
		if n >= killAfter {
			waiting = false
		} else {
			time.Sleep(time.Millisecond)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	cmd.Wait()
	<-done
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), acked...)
}

// hexRun matches runs of hex digits as long as a stored hash.
var hexRun = regexp.MustCompile(`[0-9a-f]{64}`)

func TestNoSecretReachesDiskOrLog(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	k := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate", "loyalty:read"}})
	expect(t, h.request("GET", "/v1/auth/verify", k.APIKey, nil), 200)
	h.rotate(sess, k.KeyID, map[string]any{"grace_period_seconds": 60})
	c := h.requestOTP("whatsapp", demoWhatsApp)
	code := h.lastCode(demoWhatsApp)
	expect(t, h.verifyOTP(c.VerificationID, wrongCode(code)), 401)
	expect(t, h.request("DELETE", "/v1/auth/session", sess, nil), 204)
	h.advance(61)
	sess2 := h.login()
	h.createKey(sess2, map[string]any{"environment": "staging"})
	if err := h.srv.flushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}

	check := func(where string, data []byte) {
		t.Helper()
		masked := hexRun.ReplaceAllFunc(data, func(b []byte) []byte { return bytes.Repeat([]byte{'h'}, len(b)) })
		for _, s := range h.secrets {
			if s == "" {
				continue
			}
			hay := data
			if len(s) == 6 { // an OTP code could occur by chance inside a hex hash
				hay = masked
			}
			if bytes.Contains(hay, []byte(s)) {
				t.Errorf("%s contains the secret %s…", where, s[:min(len(s), 4)])
			}
		}
	}
	if len(h.secrets) < 8 {
		t.Fatalf("collected only %d secrets", len(h.secrets))
	}
	files := 0
	err := filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		info, _ := d.Info()
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want private", path, info.Mode().Perm())
		}
		check(filepath.Base(path), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 { // the database and its WAL at least
		t.Fatalf("only %d files in the data dir", files)
	}
	check("the log", []byte(h.logs.String()))
	if !strings.Contains(h.logs.String(), "otp requested") {
		t.Fatal("the log captured nothing: the check above proves nothing")
	}
}
