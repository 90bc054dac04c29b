package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// crashChildEnv makes the test binary serve the emulator on the data dir it
// names, printing its URL, until killed.
const crashChildEnv = "ZUPY_EMULATOR_CRASH_CHILD_DIR"

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process for TestAcknowledgedKeysSurviveSIGKILL")
	}
	srv, err := Open(context.Background(), Config{DataDir: dir})
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

// startChild starts the helper on dir and returns its base URL.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
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

func TestAcknowledgedKeysSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	cmd, base := startChild(t, dir)
	client := &http.Client{Timeout: 10 * time.Second}
	// Log in through the child.
	_, body, err := call(client, "POST", base+"/v1/auth/otp", "", wire.OTPRequest{Channel: "email", Destination: demoEmail})
	if err != nil {
		t.Fatal(err)
	}
	var ch wire.OTPChallenge
	json.Unmarshal(body, &ch)
	_, body, _ = call(client, "GET", base+"/_emulator/outbox", "", nil)
	var box wire.Outbox
	json.Unmarshal(body, &box)
	if len(box.Messages) != 1 {
		t.Fatalf("outbox %s", body)
	}
	status, body, _ := call(client, "POST", base+"/v1/auth/otp/verify", "", wire.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[0].Code})
	if status != 200 {
		t.Fatalf("login %d %s", status, body)
	}
	var login wire.Login
	json.Unmarshal(body, &login)

	// Create keys from several workers (the session budget is 120/min), and
	// kill the child while they are at it.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				status, body, err := call(client, "POST", base+"/v1/api-keys", login.SessionToken,
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
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	cmd.Wait()
	wg.Wait()
	mu.Lock()
	keys := append([]string(nil), acked...)
	mu.Unlock()

	_, base = startChild(t, dir)
	for _, k := range keys {
		status, body, err := call(client, "GET", base+"/v1/auth/verify", k, nil)
		if err != nil || status != 200 {
			t.Errorf("acknowledged key lost after SIGKILL: %d %s %v", status, body, err)
		}
	}
	t.Logf("%d acknowledged keys verified after SIGKILL", len(keys))
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
	if err := h.srv.usage.flush(t.Context(), h.srv.store); err != nil {
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
