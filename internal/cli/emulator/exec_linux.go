package emulator

import (
	"os/exec"
	"syscall"
)

// configureCmd makes the kernel kill CMD when zupy dies, SIGKILL included
// (a parent-death signal), and with ownGroup puts it in a process group of
// its own (see killGroup).
func configureCmd(c *exec.Cmd, ownGroup bool) {
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: ownGroup}
}
