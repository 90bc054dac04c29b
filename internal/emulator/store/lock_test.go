package store

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Issue 21.2: two emulators on one data directory both started, and a key
// revoked through one stayed valid on the other. A second Store on the
// directory is refused, naming the holder's process; once the first is
// closed, the directory opens again.
func TestADataDirectoryIsOpenedByOneStoreAtATime(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(ctx, Options{Dir: dir})
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second store opened the data directory in use")
	}
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrLocked) || locked.PID != os.Getpid() ||
		!strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second open: %v, want the directory in use by process %d", err, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.Close()
	// In-memory stores take no lock.
	a, err := Open(ctx, Options{InMemory: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
}
