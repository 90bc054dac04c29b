package ui

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the controller side (a non-blocking descriptor) and the
// terminal side of a new pseudo-terminal, or skips.
func openPTY(t *testing.T) (master int, tty *os.File) {
	t.Helper()
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { unix.Close(master) })
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// On a real terminal lipgloss would work out the background itself (an OSC
// query, then COLORFGBG). The scheme must not ask: here COLORFGBG claims a
// light background and the scheme still assumes dark, and nothing but the
// styled text reaches the terminal.
func TestColorSchemeOnTerminalAssumesDarkBackgroundWithoutAsking(t *testing.T) {
	master, tty := openPTY(t)
	t.Setenv("CI", "")
	t.Setenv("COLORFGBG", "0;15")
	t.Setenv("TERM", "xterm-256color")
	cs := NewColorScheme(tty, true, "", "xterm")
	if !cs.Renderer().HasDarkBackground() {
		t.Error("the scheme probed the terminal's background instead of assuming dark")
	}
	cs.Bold("x")
	cs.SuccessIcon()
	time.Sleep(50 * time.Millisecond) // let anything written reach the controller side
	buf := make([]byte, 256)
	n, err := unix.Read(master, buf)
	if n > 0 {
		t.Errorf("the scheme wrote %q to the terminal", buf[:n])
	} else if !errors.Is(err, unix.EAGAIN) {
		t.Logf("reading the pty: %v", err)
	}
}
