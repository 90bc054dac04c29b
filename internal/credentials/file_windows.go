//go:build windows

package credentials

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive LockFileEx lock on path, polling so that ctx
// is honoured.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	h := windows.Handle(f.Fd())
	delay := time.Millisecond
	for {
		ol := new(windows.Overlapped)
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		if err == nil {
			return func() {
				windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
				f.Close()
			}, nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			f.Close()
			return nil, err
		}
		if err := sleepCtx(ctx, delay); err != nil {
			f.Close()
			return nil, err
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// syncDir is a no-op: Windows cannot sync a directory, and MoveFileEx is
// already durable enough for a rename.
func syncDir(string) error { return nil }

// replaceFile renames from over to. Windows refuses while another process
// (a concurrent reader) has to open, so it retries for a moment.
func replaceFile(from, to string) error {
	var err error
	for delay := time.Millisecond; delay < 500*time.Millisecond; delay *= 2 {
		if err = os.Rename(from, to); err == nil {
			return nil
		}
		if !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return err
		}
		time.Sleep(delay)
	}
	return err
}
