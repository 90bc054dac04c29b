//go:build unix

package emulator

import (
	"errors"
	"os/exec"
	"syscall"
)

// killGroup kills what is left of CMD's process group once CMD has ended:
// what it started in the background would otherwise run on against an
// emulator that is gone.
func killGroup(c *exec.Cmd) {
	if c.Process != nil {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
}

// processAlive reports whether a process pid exists (one of another user
// counts: signalling it is refused, but it is there).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
