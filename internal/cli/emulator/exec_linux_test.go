package emulator

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// execHelperEnv makes TestExecHelperProcess run `zupy emulator exec` with a
// CMD that writes its pid to the file the variable names and then sleeps.
const execHelperEnv = "ZUPY_TEST_EXEC_HELPER_PIDFILE"

func TestExecHelperProcess(t *testing.T) {
	pidFile := os.Getenv(execHelperEnv)
	if pidFile == "" {
		t.Skip("helper process for TestCMDDiesWithAKilledZupy")
	}
	err := run(context.Background(), os.Stdout, os.Stderr, nil, "exec", "--", "sh", "-c", `echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 600`, pidFile)
	t.Fatalf("exec returned: %v", err)
}

// gone reports whether process pid has ended: it no longer exists, or it is
// a zombie nobody has reaped yet.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(after, "Z")
}

// waitGone waits (bounded: a hang, not a measurement) for pid to end.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !gone(pid); {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) is still running", what, pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readPID waits for a process id written to path.
func readPID(t *testing.T, path string) int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		if b, err := os.ReadFile(path); err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Issue 21.6: when zupy was killed with SIGKILL, CMD kept running against a
// dead emulator and the temporary configuration stayed. CMD now gets a
// parent-death signal, and the next run sweeps the leftover directory.
func TestCMDDiesWithAKilledZupy(t *testing.T) {
	tmp := t.TempDir()
	pidFile := filepath.Join(tmp, "cmd.pid")
	helper := exec.Command(os.Args[0], "-test.run=^TestExecHelperProcess$")
	helper.Env = append(os.Environ(), execHelperEnv+"="+pidFile, "TMPDIR="+tmp)
	var logs bytes.Buffer
	helper.Stdout, helper.Stderr = &logs, &logs
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })
	cmdPID := readPID(t, pidFile)
	t.Cleanup(func() { syscall.Kill(cmdPID, syscall.SIGKILL) })
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	waitGone(t, cmdPID, "CMD of a zupy killed by SIGKILL")

	left, _ := filepath.Glob(filepath.Join(tmp, execConfigPrefix+strconv.Itoa(helper.Process.Pid)+"-*"))
	if len(left) != 1 {
		t.Fatalf("the killed run's configuration directory: %q, want one left behind\n%s", left, logs.String())
	}
	sweepConfigDirs(tmp)
	if _, err := os.Stat(left[0]); err == nil {
		t.Fatal("the sweep left the killed run's configuration directory")
	}
}

// Issue 21.6: without a terminal CMD runs in its own process group, killed
// when CMD ends: what it left in the background does not outlive the run.
func TestExecKillsWhatCMDLeftRunning(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "bg.pid")
	err := run(context.Background(), io.Discard, io.Discard, nil, "exec", "--", "sh", "-c", `sleep 600 & echo $! > "$0"`, pidFile)
	if err != nil {
		t.Fatal(err)
	}
	bg := readPID(t, pidFile)
	t.Cleanup(func() { syscall.Kill(bg, syscall.SIGKILL) })
	waitGone(t, bg, "the background process CMD started")
}
