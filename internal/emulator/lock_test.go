package emulator

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Issue 21.2: an emulator in another process holds its data directory: a
// second one on it is refused with the holder's process id, and starts once
// the holder is gone (even killed: the lock dies with the process).
func TestASecondEmulatorOnADataDirNamesTheProcessHoldingIt(t *testing.T) {
	dir := t.TempDir()
	child, _ := startChild(t, dir, io.Discard)
	_, err := Open(context.Background(), Config{DataDir: dir})
	if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "process "+strconv.Itoa(child.Process.Pid)) {
		t.Fatalf("Open beside a running emulator: %v, want the directory in use by process %d", err, child.Process.Pid)
	}
	child.Process.Kill()
	child.Wait()
	srv, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	srv.Close()
}
