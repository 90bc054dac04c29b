//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir records this process in LockFileName but cannot lock it: this
// system has no flock(2), so two emulators on one data directory are not
// refused here (docs/api.md, storage). The file is still written, so that
// whoever looks finds the last process that opened the directory.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the data directory's lock file: %w", err)
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("write the data directory's lock file: %w", err)
	}
	return f, nil
}
