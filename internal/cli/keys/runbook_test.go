package keys

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// emulatorWithKey starts an emulator, logs in and creates the key a
// runbook test rotates: the base URL, the session, a client and the key.
func emulatorWithKey(t *testing.T) (base, session string, c *api.Client, old *api.Key) {
	t.Helper()
	base, session = clitest.Emulator(t, nil)
	c = api.New(api.Options{BaseURL: base})
	old, _, err := c.CreateKey(context.Background(), session, api.CreateKeyRequest{Name: "pos", Permissions: []string{"loyalty:read"}})
	if err != nil {
		t.Fatal(err)
	}
	return base, session, c, old
}

// runbookOnEmulator rotates a fresh key with --deploy-file, --watch and
// --revoke-old against the emulator, stdout a terminal or not. Each wait of
// the watch is where the consumer acts: it calls GET /auth/verify with the
// key its dotenv file holds, then the emulator's clock moves on, so the run
// is the same however slow the machine.
func runbookOnEmulator(t *testing.T, tty bool, extra ...string) (stdout, stderr string, err error) {
	t.Helper()
	base, session, c, old := emulatorWithKey(t)
	ctx := context.Background()
	env := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(env, []byte("ZUPY_API_KEY="+old.APIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	consume := func() {
		b, err := os.ReadFile(env)
		if err != nil {
			t.Error(err)
			return
		}
		secret, _ := dotenvValue(b, "ZUPY_API_KEY")
		if _, _, err := c.Verify(ctx, secret, nil, true); err != nil {
			t.Errorf("the consumer's call: %v", err)
		}
	}
	consume()
	f, out, errOut := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session, "XDG_STATE_HOME": t.TempDir()})
	f.IOStreams.SetTTY(false, tty, false)
	f.Sleep = func(ctx context.Context, d time.Duration) error {
		consume()
		_, _, err := c.AdvanceClock(ctx, int64(d/time.Second))
		return err
	}
	args := append([]string{"rotate", old.KeyID, "--grace", "1h", "--deploy-file", env, "--watch", "--idle", "2m", "--revoke-old"}, extra...)
	err = clitest.Run(ctx, f, NewCmdRotate(f, nil), args...)
	if b, _ := os.ReadFile(env); strings.Contains(string(b), old.APIKey) && err == nil {
		t.Error("the dotenv file still holds the old key")
	}
	return out.String(), errOut.String(), err
}

// TestRunbookOnATerminalRedrawsTheWatchWithSparklines: on a terminal the
// watch's line is redrawn in place with the two sparklines, the steps
// above it checked off.
func TestRunbookOnATerminalRedrawsTheWatchWithSparklines(t *testing.T) {
	raw, _, err := runbookOnEmulator(t, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, "\x1b[2A\r\x1b[J") {
		t.Errorf("the watch line was not redrawn in place:\n%q", raw)
	}
	out := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(raw, "") // colours
	for _, want := range []string{"✓ rotate: ", "✓ deploy file ", "· revoke key_", "✓ revoke key_"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, out)
		}
	}
	final := regexp.MustCompile(`✓ watch: new key key_[0-9a-z]{12}: 1 of 1 requests from 127\.0\.0\.1 [▁▂▃▄▅▆▇█]+; old key key_[0-9a-z]{12} idle \S+ of 2m [▁▂▃▄▅▆▇█]+\n`)
	if !final.MatchString(out) {
		t.Errorf("no final watch line with two sparklines:\n%s", out)
	}
	if strings.Contains(out, "zup_live_sk_") {
		t.Error("the terminal output holds a secret")
	}
}

// TestRunbookInAPipePrintsALinePerChange: in a pipe no escape sequence, one
// line whenever the watch's text changes (never twice the same in a row).
func TestRunbookInAPipePrintsALinePerChange(t *testing.T) {
	out, _, err := runbookOnEmulator(t, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("escape sequences in a pipe:\n%q", out)
	}
	var watch []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "… watch: ") {
			watch = append(watch, l)
		}
	}
	if len(watch) < 2 {
		t.Fatalf("want a watch line for the start and for each change, got %q", watch)
	}
	// Before the consumer's first call the new key has made none: zupy's
	// own check of it (GET /auth/verify) is not counted.
	if !strings.Contains(watch[0], ": 0 of 1 requests; old key ") {
		t.Errorf("first watch line %q, want 0 of 1 requests", watch[0])
	}
	for i := 1; i < len(watch); i++ {
		if watch[i] == watch[i-1] {
			t.Errorf("the same watch line twice in a row: %q", watch[i])
		}
	}
	if !strings.Contains(out, "✓ watch: the new key is in use and the old key idle\n") {
		t.Errorf("no end of the watch:\n%s", out)
	}
}

// TestRunbookJSONIsOneFinalDocument: with -o json, stdout is one document of
// every step and its times, with what the watch saw; no secret.
func TestRunbookJSONIsOneFinalDocument(t *testing.T) {
	out, _, err := runbookOnEmulator(t, false, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc runbookDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if !doc.Finished || len(doc.Steps) != 4 || doc.Watch == nil || doc.Watch.NewRequests < 1 || doc.Watch.SwitchedAt == nil ||
		doc.Watch.OldRecent != 0 || doc.Watch.OldLastRequestAt == nil {
		t.Errorf("document: %+v", doc)
	}
	for _, s := range doc.Steps {
		if s.State != "done" || s.StartedAt == nil || s.EndedAt == nil || s.EndedAt.Before(*s.StartedAt) {
			t.Errorf("step %+v", s)
		}
	}
	if strings.Contains(out, "zup_live_sk_") {
		t.Error("the document holds a secret")
	}
}

// TestRunbookWithoutTargetsPrintsTheSecretInTheDocument: with no deploy
// target the person deploys the new key, so -o json's one document carries
// it (the one place it is shown); a watch that sees no call to it gives up
// with exit 8, the old key left active.
func TestRunbookWithoutTargetsPrintsTheSecretInTheDocument(t *testing.T) {
	base, session, c, old := emulatorWithKey(t)
	ctx := context.Background()
	f, out, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session, "XDG_STATE_HOME": t.TempDir()})
	f.Sleep = func(ctx context.Context, d time.Duration) error {
		_, _, err := c.AdvanceClock(ctx, int64(d/time.Second))
		return err
	}
	err := clitest.Run(ctx, f, NewCmdRotate(f, nil), "-o", "json", "rotate", old.KeyID, "--grace", "1h", "--watch", "--idle", "1m", "--watch-timeout", "2m", "--revoke-old")
	if cmdutil.ExitCode(err) != cmdutil.ExitNotFinished {
		t.Fatalf("exit %d (%v), want 8", cmdutil.ExitCode(err), err)
	}
	var doc runbookDoc
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^zup_live_sk_[A-Za-z0-9]{20}$`).MatchString(doc.APIKey) || doc.Finished {
		t.Errorf("document: %+v", doc)
	}
	k, _, err := c.GetKey(ctx, session, old.KeyID)
	if err != nil || k.Status != api.StatusActive {
		t.Errorf("the old key: %+v, %v", k, err)
	}
}
