package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zupy/zupy-cli/internal/wire"
)

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
	cmd, base := startChild(t, t.TempDir(), logs)
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
