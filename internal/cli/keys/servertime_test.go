package keys

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/clitest"
)

// TestRelativeTimesCountFromTheServersClock moves the emulator's clock 20 hours
// ahead of this machine's: list, show and the create card must still
// say "in 365 days" for a new key and "just now" for its last use, counted
// from the server's Date, not "in 366 days" or "in 20 hours".
func TestRelativeTimesCountFromTheServersClock(t *testing.T) {
	base, session := clitest.Emulator(t, nil)
	ctx := context.Background()
	c := api.New(api.Options{BaseURL: base})
	if _, _, err := c.AdvanceClock(ctx, 20*3600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		f, out, _ := runFactory(t, map[string]string{"ZUPY_BASE_URL": base, "ZUPY_SESSION_TOKEN": session})
		f.IOStreams.SetTTY(false, true, false)
		if err := clitest.Run(ctx, f, NewCmdKeys(f), args...); err != nil {
			t.Fatalf("zupy %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	card := run("keys", "create", "--name", "Clock", "--scopes", "loyalty:read")
	if !strings.Contains(card, "(in 365 days)") {
		t.Errorf("the card counts the expiry from this machine's clock:\n%s", card)
	}
	secret := regexp.MustCompile(`zup_live_sk_[A-Za-z0-9]{20}`).FindString(card)
	v, _, err := c.Verify(ctx, secret, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	list := run("keys", "list")
	if !strings.Contains(list, "in 365 days") || !strings.Contains(list, "just now") {
		t.Errorf("keys list counts from this machine's clock:\n%s", list)
	}
	show := run("keys", "show", v.KeyID)
	if !strings.Contains(show, "(in 365 days)") || !strings.Contains(show, "(just now)") {
		t.Errorf("keys show counts from this machine's clock:\n%s", show)
	}
}
