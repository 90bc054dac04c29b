//go:build !unix

package emulator

import (
	"os"
	"os/exec"
)

// configureCmd changes nothing here: process groups and the parent-death
// signal are Unix's.
func configureCmd(c *exec.Cmd, ownGroup bool) {}

// killGroup does nothing where CMD has no process group of its own.
func killGroup(c *exec.Cmd) {}

// processAlive reports whether a process pid exists: on Windows, finding
// it opens it, which fails once it is gone.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
