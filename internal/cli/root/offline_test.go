package root

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/emulator"
)

// Issue 21.15: with an emulator running and no base URL set, a network
// error (zupy asked Zupy's production API) suggested starting an emulator.
// It now names the setting that points zupy at the one that answers; with a
// base URL set, or no emulator answering, the hint stays as it was.
func TestNetworkErrorWithoutABaseURLNamesTheRunningEmulator(t *testing.T) {
	srv, err := emulator.Open(context.Background(), emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer func(o string) { localEmulatorOrigin = o }(localEmulatorOrigin)

	run := func(origin string, env map[string]string, args ...string) string {
		t.Helper()
		localEmulatorOrigin = origin
		env["ZUPY_CONFIG_DIR"] = t.TempDir()
		env["HOME"] = t.TempDir()
		f, _, errOut := clitest.Factory(env, "")
		if code := Run(context.Background(), f, append(args, "--timeout", "2s")); code != 1 {
			t.Fatalf("exit %d, want 1 (a network error)\n%s", code, errOut)
		}
		return errOut.String()
	}
	login := []string{"login", "--email", "dev@example.com", "--request-only"}
	got := run(ts.URL, map[string]string{}, login...)
	if !strings.Contains(got, "network_error") || !strings.Contains(got, "`zupy config set base_url "+ts.URL+"/v1`") ||
		strings.Contains(got, "start a local emulator") {
		t.Fatalf("no base URL, an emulator running:\n%s", got)
	}
	got = run(ts.URL, map[string]string{"ZUPY_PROFILE": "ci"}, login...)
	if !strings.Contains(got, "`zupy --profile ci config set base_url "+ts.URL+"/v1`") {
		t.Fatalf("with --profile ci:\n%s", got)
	}
	got = run(ts.URL, map[string]string{"ZUPY_BASE_URL": "http://127.0.0.1:9/v1"}, login...)
	if strings.Contains(got, "config set base_url") || !strings.Contains(got, "start a local emulator") {
		t.Fatalf("a base URL set:\n%s", got)
	}
	got = run("http://127.0.0.1:9", map[string]string{}, login...)
	if strings.Contains(got, "config set base_url") {
		t.Fatalf("no emulator answering:\n%s", got)
	}
}
