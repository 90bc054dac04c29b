//go:build unix

package fileperm

import (
	"io/fs"
	"syscall"
)

// Owner is the uid that owns the file info describes.
func Owner(info fs.FileInfo) (uid int, known bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
