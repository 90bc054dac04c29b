package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// LockFileName is the file in the data directory that an open Store holds
// locked, with the holder's process id in it: two emulators on one data
// directory would each cache keys the other revokes (docs/api.md, storage).
const LockFileName = "zupy-emulator.lock"

// ErrLocked is matched (errors.Is) by a *LockedError.
var ErrLocked = errors.New("data directory in use")

// LockedError is the refusal to open a data directory that another Store,
// of this process or another, holds.
type LockedError struct {
	Dir string
	// PID is the holder's process id as its lock file says, 0 when unknown.
	PID int
}

func (e *LockedError) Error() string {
	who := "another emulator"
	if e.PID > 0 {
		who += " (process " + strconv.Itoa(e.PID) + ")"
	}
	return fmt.Sprintf("the data directory %s is in use by %s", e.Dir, who)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// writePID records this process as the lock's holder.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID is the holder's process id recorded in f, 0 when none is.
func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
