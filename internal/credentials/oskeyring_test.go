package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRealSecretService talks to the real OS keyring. It runs only when
// ZUPY_TEST_REAL_KEYRING=1, because it needs an unlocked keyring: on Linux,
// scripts/test-keyring.sh provides one (a private D-Bus session with
// gnome-keyring). When enabled, an unusable keyring is a failure, not a skip.
func TestRealSecretService(t *testing.T) {
	if os.Getenv("ZUPY_TEST_REAL_KEYRING") != "1" {
		t.Skip("set ZUPY_TEST_REAL_KEYRING=1 (or run scripts/test-keyring.sh) to test the real OS keyring")
	}
	ctx := context.Background()
	s := NewKeyring(OSBackend(), 10*time.Second)
	profile := fmt.Sprintf("zupy-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	account := SessionAccount(profile)
	t.Cleanup(func() { _ = DeleteProfile(context.Background(), s, profile) })

	const token = "zup_sess_realkeyringtest0123456789abcdef"
	if err := s.Set(ctx, account, token); err != nil {
		var ue *UnavailableError
		if errors.As(err, &ue) {
			t.Fatalf("Set: %v\nhint: %s", err, ue.Hint())
		}
		t.Fatalf("Set: %v", err)
	}
	got, err := s.Get(ctx, account)
	if err != nil || got != token {
		t.Fatalf("Get = %q, %v; want the token", got, err)
	}
	// The entry is where docs/security-model.md says, as other Secret Service clients see it.
	if secretTool, err := exec.LookPath("secret-tool"); err == nil {
		out, err := exec.Command(secretTool, "lookup", "service", Service, "username", account).Output()
		if err != nil || string(out) != token {
			t.Fatalf("secret-tool lookup service %s username %s = %q, %v", Service, account, out, err)
		}
	} else {
		t.Log("secret-tool not installed: not cross-checking the entry's attributes")
	}
	if err := s.Set(ctx, account, token+"v2"); err != nil {
		t.Fatalf("Set over an existing entry: %v", err)
	}
	if got, err := s.Get(ctx, account); err != nil || got != token+"v2" {
		t.Fatalf("Get after replacing = %q, %v", got, err)
	}
	if err := s.Delete(ctx, account); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, account); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, account); err != nil {
		t.Fatalf("Delete of an absent entry: %v", err)
	}

	// Saved keys and their index, through the real keyring.
	must(t, SaveKey(ctx, s, profile, "key_real", liveKey))
	must(t, s.Set(ctx, account, token))
	keys, err := SavedKeys(ctx, s, profile)
	if err != nil || len(keys) != 1 || keys[0].KeyID != "key_real" {
		t.Fatalf("SavedKeys = %+v, %v", keys, err)
	}
	must(t, DeleteProfile(ctx, s, profile))
	for _, a := range []string{account, KeyAccount(profile, "key_real"), IndexAccount(profile)} {
		if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after DeleteProfile: %v", a, err)
		}
	}
}

// TestUnreachableKeyring points D-Bus at a socket that does not exist, as on
// a headless machine without a session bus, and checks that every operation
// fails with an *UnavailableError carrying the hint, promptly, and that
// nothing is written anywhere instead (no silent fallback).
//
// godbus caches its session-bus connection for the life of the process, so
// the checks run in a fresh process (this test binary, re-executed): an
// earlier test that reached a real bus cannot make this one pass or write
// to the real keyring.
func TestUnreachableKeyring(t *testing.T) {
	switch runtime.GOOS {
	case "darwin", "windows", "ios":
		// go-keyring does not use D-Bus there: the child would reach the real keyring.
		t.Skipf("no D-Bus keyring on %s", runtime.GOOS)
	}
	if os.Getenv("ZUPY_TEST_UNREACHABLE_CHILD") == "1" {
		checkUnreachableKeyring(t)
		return
	}
	root := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(root, "no-such-bus"))
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "ZUPY_CONFIG_DIR"} {
		t.Setenv(v, filepath.Join(root, strings.ToLower(v)))
	}
	t.Setenv("ZUPY_TEST_UNREACHABLE_CHILD", "1")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestUnreachableKeyring$", "-test.count=1", "-test.v").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestUnreachableKeyring") {
		t.Fatalf("child test: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)

	var written []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if path != root {
			written = append(written, path)
		}
		return nil
	})
	if len(written) != 0 {
		t.Fatalf("an unreachable keyring must not lead to writing elsewhere; found %v", written)
	}
}

func checkUnreachableKeyring(t *testing.T) {
	ctx := context.Background()
	s := NewKeyring(OSBackend(), HeadlessTimeout)
	// A profile of its own: should a keyring answer after all, no real
	// session is overwritten.
	account := SessionAccount(fmt.Sprintf("zupy-unreachable-test-%d", os.Getpid()))
	const token = "zup_sess_unreachableunreachable0123456789"
	ops := map[string]func() error{
		"set":    func() error { return s.Set(ctx, account, token) },
		"get":    func() error { _, err := s.Get(ctx, account); return err },
		"delete": func() error { return s.Delete(ctx, account) },
	}
	for op, call := range ops {
		err := call()
		var ue *UnavailableError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: err = %#v, want *UnavailableError", op, err)
		}
		if ue.Op != op {
			t.Errorf("%s: Op = %q", op, ue.Op)
		}
		t.Logf("%s: %v\nhint: %s", op, err, ue.Hint())
		for _, want := range []string{"ZUPY_SESSION_TOKEN", "credential_store file"} {
			if !strings.Contains(ue.Hint(), want) {
				t.Errorf("%s: hint %q lacks %q", op, ue.Hint(), want)
			}
		}
		// The flag is offered only where the command has it.
		if strings.Contains(ue.Hint(), "--insecure-storage") {
			t.Errorf("%s: hint %q offers --insecure-storage to a command that may not have it", op, ue.Hint())
		}
		ue.OfferFlag = true
		if !strings.Contains(ue.Hint(), "--insecure-storage") {
			t.Errorf("%s: hint %q lacks --insecure-storage with OfferFlag", op, ue.Hint())
		}
		ue.OfferFlag = false
		if strings.Contains(err.Error()+ue.Hint(), token) {
			t.Errorf("%s: the error shows the secret", op)
		}
	}
}
