package keys

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

// Issue 21.14: after the emulator's clock moved, `keys create --expires-in
// 90d` showed "in 89 days": the lifetime was counted from this machine's
// clock. It counts from the server's, for create and update alike.
func TestExpiresInCountsFromTheServersClock(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	ctx := context.Background()
	c := api.New(api.Options{BaseURL: base})
	// 20 hours ahead: the session (24 hours) still holds.
	if _, _, err := c.AdvanceClock(ctx, 20*3600); err != nil {
		t.Fatal(err)
	}
	run := func(cmd func(*cmdutil.Factory) []string) *api.Key {
		t.Helper()
		f, out, errOut := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
		before, _, err := c.EmulatorClock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		args := cmd(f)
		var id string
		if args[0] == "create" {
			root := NewCmdCreate(f, nil)
			root.SetArgs(args[1:])
			root.SetOut(io.Discard)
			root.SetErr(io.Discard)
			if err := root.ExecuteContext(ctx); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, errOut)
			}
			keys, _, err := c.ListKeys(ctx, session, "", "all")
			if err != nil || len(keys) == 0 {
				t.Fatal(err)
			}
			id = keys[0].KeyID
		} else {
			root := NewCmdUpdate(f, nil)
			root.SetArgs(args[1:])
			root.SetOut(io.Discard)
			root.SetErr(io.Discard)
			if err := root.ExecuteContext(ctx); err != nil {
				t.Fatalf("%v: %v\n%s%s", args, err, out, errOut)
			}
			id = args[1]
		}
		k, _, err := c.GetKey(ctx, session, id)
		if err != nil {
			t.Fatal(err)
		}
		if left := k.ExpiresAt.Sub(before); left < 90*24*time.Hour-time.Second || left > 90*24*time.Hour+time.Minute {
			t.Fatalf("%v: expires %s after the server's now, want 90 days", args, left)
		}
		return k
	}
	k := run(func(*cmdutil.Factory) []string {
		return []string{"create", "--name", "x", "--scopes", "loyalty:read", "--expires-in", "90d"}
	})
	if _, _, err := c.AdvanceClock(ctx, 3600); err != nil {
		t.Fatal(err)
	}
	run(func(*cmdutil.Factory) []string { return []string{"update", k.KeyID, "--expires-in", "90d"} })
}

// Issue 21.14: --expires-in 3m means three minutes, which a Brazilian may
// read as três meses. Under an hour zupy warns on stderr without a terminal,
// and asks on one; declined, nothing is sent (exit 2).
func TestALifetimeUnderAnHourIsConfirmed(t *testing.T) {
	var errOut bytes.Buffer
	s := ui.Test(strings.NewReader(""), io.Discard, &errOut)
	if err := confirmShortLifetime(s, func() *ui.Prompter { return ui.NewPrompter(s) }, "3m"); err != nil {
		t.Fatal(err)
	}
	if got := errOut.String(); got != "Warning: --expires-in 3m makes the key expire 3m 00s after it is made (m is minutes: write 90d for days, 1y for years)\n" {
		t.Fatalf("without a terminal: %q", got)
	}
	for _, long := range []string{"1h", "90d", ""} {
		errOut.Reset()
		if err := confirmShortLifetime(s, nil, long); err != nil || errOut.Len() != 0 {
			t.Fatalf("%q: %v %q", long, err, errOut.String())
		}
	}
	for answer, wantErr := range map[string]bool{"n\n": true, "\n": true, "y\n": false} {
		errOut.Reset()
		s := ui.Test(strings.NewReader(answer), io.Discard, &errOut)
		s.SetTTY(true, false, true)
		err := confirmShortLifetime(s, func() *ui.Prompter { return ui.NewPrompter(s) }, "30m")
		var silent *cmdutil.SilentError
		if wantErr != (err != nil) || (wantErr && (!errors.As(err, &silent) || cmdutil.ExitCode(err) != cmdutil.ExitUsage)) {
			t.Fatalf("answer %q: %v (exit %d)\n%s", answer, err, cmdutil.ExitCode(err), errOut.String())
		}
		if !strings.Contains(errOut.String(), "--expires-in 30m makes the key expire 30m 00s after it is made") {
			t.Fatalf("answer %q: the question: %q", answer, errOut.String())
		}
	}
}
