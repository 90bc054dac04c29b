//go:build unix

package main

import (
	"os"
	"syscall"
)

// maxRSS is the peak resident set of a finished process, in bytes (the
// kernel reports kilobytes on Linux).
func maxRSS(st *os.ProcessState) int64 {
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru != nil {
		return int64(ru.Maxrss) * 1024
	}
	return 0
}
