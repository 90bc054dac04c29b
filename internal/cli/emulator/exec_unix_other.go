//go:build unix && !linux

package emulator

import (
	"os/exec"
	"syscall"
)

// configureCmd puts CMD in a process group of its own with ownGroup (see
// killGroup). This system has no parent-death signal: a zupy killed by
// SIGKILL leaves CMD running.
func configureCmd(c *exec.Cmd, ownGroup bool) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: ownGroup}
}
