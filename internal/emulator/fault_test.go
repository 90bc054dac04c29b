package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zupy/zupy-cli/internal/wire"
)

// faultChildEnv makes the test binary serve the emulator on the data dir it
// names, logging at Info to stderr as `zupy emulator start` does, printing
// its URL on stdout, until killed.
const faultChildEnv = "ZUPY_EMULATOR_FAULT_CHILD_DIR"

func TestFaultChild(t *testing.T) {
	dir := os.Getenv(faultChildEnv)
	if dir == "" {
		t.Skip("helper process for the fault tests")
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

// startFaultChild starts the helper on dir; its log goes to logs.
func startFaultChild(t *testing.T, dir string, logs io.Writer) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultChild$")
	cmd.Env = append(os.Environ(), faultChildEnv+"="+dir)
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

// loginOver signs the demo partner in through the emulator at base.
func loginOver(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	status, body, err := call(client, "POST", base+"/v1/auth/otp", "", wire.OTPRequest{Channel: "email", Destination: demoEmail})
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("otp: %d %s %v", status, body, err)
	}
	var ch wire.OTPChallenge
	json.Unmarshal(body, &ch)
	_, body, _ = call(client, "GET", base+"/_emulator/outbox", "", nil)
	var box wire.Outbox
	json.Unmarshal(body, &box)
	if len(box.Messages) == 0 {
		t.Fatalf("outbox %s", body)
	}
	status, body, err = call(client, "POST", base+"/v1/auth/otp/verify", "", wire.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[len(box.Messages)-1].Code})
	if err != nil || status != http.StatusOK {
		t.Fatalf("login: %d %s %v", status, body, err)
	}
	var l wire.Login
	json.Unmarshal(body, &l)
	return l.SessionToken
}

// setFileSizeLimit sets the child's RLIMIT_FSIZE: the most bytes it may
// write into any file. A full disk as SQLite meets it (a write that fails),
// which works as root, unlike chmod, and needs no mount namespace. Go
// ignores the SIGXFSZ it causes, so the write returns EFBIG.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: min(limit, old.Max), Max: old.Max}, nil); err != nil {
		t.Skipf("prlimit: %v", err)
	}
}

// TestFullDataDir fills the emulator's disk under it: every write is
// answered 500 with a log line saying the data directory cannot be written,
// reads keep working, and writes work again once there is room.
func TestFullDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	logs := &syncBuffer{}
	cmd, base := startFaultChild(t, t.TempDir(), logs)
	client := &http.Client{Timeout: 10 * time.Second}
	sess := loginOver(t, client, base)
	createKey := func() (int, wire.Key, []byte) {
		status, body, err := call(client, "POST", base+"/v1/api-keys", sess,
			map[string]any{"name": "disk", "permissions": []string{"loyalty:read"}})
		if err != nil {
			t.Fatal(err)
		}
		var k wire.Key
		json.Unmarshal(body, &k)
		return status, k, body
	}
	status, before, body := createKey()
	if status != http.StatusCreated {
		t.Fatalf("create before the disk is full: %d %s", status, body)
	}

	setFileSizeLimit(t, cmd.Process.Pid, 1) // no file may grow past its first byte: the disk is full
	for i := range 3 {
		status, _, body := createKey()
		if status != http.StatusInternalServerError {
			t.Fatalf("create %d on a full disk: %d %s, want 500", i, status, body)
		}
		var e wire.ErrorBody
		if json.Unmarshal(body, &e) != nil || e.Error != wire.CodeInternal {
			t.Fatalf("create on a full disk answered %s, want the internal_error body", body)
		}
	}
	if !strings.Contains(logs.String(), "cannot write the data directory") {
		t.Fatalf("no log line says the data directory cannot be written; the log:\n%s", logs)
	}
	// Reads still work: the key made before verifies, the list shows it.
	if status, body, err := call(client, "GET", base+"/v1/auth/verify", before.APIKey, nil); err != nil || status != http.StatusOK {
		t.Fatalf("verify on a full disk: %d %s %v", status, body, err)
	}
	status, body, err := call(client, "GET", base+"/v1/api-keys", sess, nil)
	if err != nil || status != http.StatusOK || !strings.Contains(string(body), before.KeyID) {
		t.Fatalf("list on a full disk: %d %s %v", status, body, err)
	}

	setFileSizeLimit(t, cmd.Process.Pid, unix.RLIM_INFINITY) // room again
	status, after, body := createKey()
	if status != http.StatusCreated {
		t.Fatalf("create once there is room again: %d %s\nlog:\n%s", status, body, logs)
	}
	for _, k := range []wire.Key{before, after} {
		if status, body, err := call(client, "GET", base+"/v1/auth/verify", k.APIKey, nil); err != nil || status != http.StatusOK {
			t.Fatalf("verify %s after recovery: %d %s %v", k.KeyID, status, body, err)
		}
	}
}
