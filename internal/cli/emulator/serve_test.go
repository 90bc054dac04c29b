package emulator

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// startEmulator runs `zupy emulator start` with args on a free loopback port
// and returns its base URL and a stop that cancels it and returns its error.
func startEmulator(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr clitest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		base := []string{"start", "--in-memory", "--addr", "127.0.0.1:0"}
		if slices.Contains(args, "--data-dir") {
			base = []string{"start", "--addr", "127.0.0.1:0"}
		}
		err := run(ctx, pw, &stderr, nil, append(base, args...)...)
		pw.Close()
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- strings.TrimSpace(line)
		io.Copy(io.Discard, pr)
	}()
	var base string
	select {
	case base = <-lines:
	case err := <-done:
		t.Fatalf("start returned before printing its URL: %v\n%s", err, stderr.String())
	}
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute): // a hang, not a measurement
			t.Fatalf("start did not return after cancellation\n%s", stderr.String())
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return base, stop
}

func getWithHost(t *testing.T, url, host string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Host = host
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// --allowed-host names the hosts answered besides loopback ones.
func TestStartAnswersOnlyLoopbackAndAllowedHosts(t *testing.T) {
	base, stop := startEmulator(t, "--allowed-host", "Emulator.Test", "--allowed-host", "10.1.2.3")
	outbox := strings.TrimSuffix(base, "/v1") + "/_emulator/outbox"
	for host, want := range map[string]int{"localhost:8790": 200, "emulator.test:8790": 200, "10.1.2.3": 200, "attacker.example": 403} {
		if got := getWithHost(t, outbox, host); got != want {
			t.Errorf("Host %s: %d, want %d", host, got, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// Issue 11.12: SIGTERM (a cancelled context) with a stalled client used to
// wait, then fail with exit 130; it now drains, cuts the client and
// succeeds, so the process exits 0.
func TestStartStopsCleanlyWithAStalledClient(t *testing.T) {
	base, stop := startEmulator(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/v1")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /v1/auth/otp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	if err := stop(); err != nil {
		t.Fatalf("start returned %v after a stop with a stalled client, want nil (exit 0)", err)
	}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.ReadAll(c); err != nil && strings.Contains(err.Error(), "timeout") {
		t.Fatal("the stalled client outlived the stop")
	}
}

// Issue 21.15: a busy port said only "address already in use".
func TestStartOnABusyPortSaysSoAndSuggestsAFreeOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stderr clitest.SyncBuffer
	err = run(context.Background(), io.Discard, &stderr, nil, "start", "--in-memory", "--addr", ln.Addr().String())
	_, msg, _, hint := cmdutil.Describe(err)
	if cmdutil.ExitCode(err) != cmdutil.ExitError || !strings.Contains(msg, "the port is in use") ||
		!strings.Contains(msg, ln.Addr().String()) || !strings.Contains(hint, "--addr 127.0.0.1:0") {
		t.Fatalf("start on a busy port: %q (hint %q), exit %d", msg, hint, cmdutil.ExitCode(err))
	}
}

// Issue 21.2: two emulators on one --data-dir both started. The second
// exits 1 naming the process that holds the directory; once the first
// stops, a new one starts.
func TestStartRefusesADataDirAnotherEmulatorHolds(t *testing.T) {
	dir := t.TempDir()
	_, stop := startEmulator(t, "--data-dir", dir)
	var stderr clitest.SyncBuffer
	err := run(context.Background(), io.Discard, &stderr, nil, "start", "--data-dir", dir, "--addr", "127.0.0.1:0")
	_, msg, _, hint := cmdutil.Describe(err)
	if cmdutil.ExitCode(err) != cmdutil.ExitError || !strings.Contains(msg, "process "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(msg, dir) || !strings.Contains(hint, "--data-dir") {
		t.Fatalf("second start: %q (hint %q), exit %d", msg, hint, cmdutil.ExitCode(err))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_, stop = startEmulator(t, "--data-dir", dir)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// The request log is written in batches (issue 22, docs/benchmarks.md): a
// line shows within the flush interval while the emulator runs, and a clean
// stop writes every line still buffered, the "stopped" line last.
func TestStartLogsEveryRequestUpToACleanStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr clitest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, pw, &stderr, nil, "start", "--in-memory", "--addr", "127.0.0.1:0", "--no-ui")
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no base URL: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line)
	client := &http.Client{Timeout: 10 * time.Second}
	get := func() {
		resp, err := client.Get(base + "/auth/verify")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get()
	deadline := time.Now().Add(5 * time.Second) // the interval is 100 ms; the machine may be loaded
	for !strings.Contains(stderr.String(), "msg=request") {
		if time.Now().After(deadline) {
			t.Fatalf("the request's log line did not show in 5 s:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out := stderr.String(); strings.Index(out, "Partner: ") > strings.Index(out, "msg=request") {
		t.Errorf("the banner is not before the first request line:\n%s", out)
	}
	const n = 200
	for range n {
		get()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("start: %v", err)
	}
	out := stderr.String()
	if got := strings.Count(out, "msg=request method=GET path=/v1/auth/verify status=401"); got != n+1 {
		t.Errorf("%d request lines after a clean stop, want %d", got, n+1)
	}
	if !strings.HasSuffix(out, "msg=stopped\n") {
		t.Errorf("stderr does not end with the stopped line:\n%s", out[max(0, len(out)-300):])
	}
}
