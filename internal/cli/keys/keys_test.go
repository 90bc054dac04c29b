package keys

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func testFactory(env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	f, out, errOut := clitest.Factory(env, "")
	f.Now = func() time.Time { return testNow }
	return f, out, errOut
}

// mustUsage fails unless err is a usage error whose message matches re.
func mustUsage(t *testing.T, err error, re string) {
	t.Helper()
	var ue *cmdutil.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a usage error matching %q", err, re)
	}
	if !regexp.MustCompile(re).MatchString(err.Error()) {
		t.Fatalf("err = %q, want a match for %q", err.Error(), re)
	}
}

func ptr[T any](v T) *T { return &v }

func TestCreateFlagsBecomeTheRequest(t *testing.T) {
	f, _, _ := testFactory(nil)
	var got *CreateOptions
	cmd := NewCmdCreate(f, func(o *CreateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--name", "PDV", "--scopes", "loyalty:read, coupons:validate", "--scopes", "loyalty:read,admin:read",
		"--rate-limit", "500", "--environment", "staging", "--allow-ip", "10.0.0.0/8,::ffff:192.0.2.1", "--allow-ip", "10.0.0.0/8",
		"--expires-in", "90d", "--description", "Caixa", "--default"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := api.CreateKeyRequest{
		Name: "PDV", Description: "Caixa", Permissions: []string{"loyalty:read", "coupons:validate", "admin:read"},
		RateLimit: ptr(500), Environment: "staging", IPRestrictions: []string{"10.0.0.0/8", "192.0.2.1"},
		ExpiresAt: ptr(testNow.Add(90 * 24 * time.Hour)),
	}
	r := got.Request
	if r.Name != want.Name || r.Description != want.Description || !slices.Equal(r.Permissions, want.Permissions) ||
		*r.RateLimit != *want.RateLimit || r.Environment != want.Environment || !slices.Equal(r.IPRestrictions, want.IPRestrictions) ||
		!r.ExpiresAt.Equal(*want.ExpiresAt) {
		t.Errorf("request = %+v, want %+v", r, want)
	}
	if !got.Save {
		t.Error("--default did not imply --save")
	}
}

func TestCreateLeavesDefaultsToTheServer(t *testing.T) {
	o := &CreateOptions{Name: "x", Scopes: []string{"loyalty:read"}, Environment: "production", RateLimit: 100}
	r, err := o.request(testNow)
	if err != nil {
		t.Fatal(err)
	}
	if r.RateLimit != nil || r.ExpiresAt != nil || r.IPRestrictions != nil {
		t.Errorf("unset flags were sent: %+v", r)
	}
}

func TestCreateValidationNamesTheFlag(t *testing.T) {
	base := func() *CreateOptions {
		return &CreateOptions{Name: "x", Scopes: []string{"loyalty:read"}, Environment: "production", RateLimit: 100}
	}
	cases := []struct {
		name string
		edit func(*CreateOptions)
		want string
	}{
		{"no name", func(o *CreateOptions) { o.Name = "" }, `^--name is required$`},
		{"control name", func(o *CreateOptions) { o.Name = "a\x1bb" }, `^invalid --name: must not contain control characters$`},
		{"no scopes", func(o *CreateOptions) { o.Scopes = nil }, `^--scopes is required$`},
		{"unknown scope", func(o *CreateOptions) { o.Scopes = []string{"loyalty:read,nope"} }, `^invalid --scopes: unknown scope "nope"`},
		{"rate 0", func(o *CreateOptions) { o.RateLimit, o.RateLimitSet = 0, true }, `^invalid --rate-limit: must be between 1 and 2000`},
		{"rate 2001", func(o *CreateOptions) { o.RateLimit, o.RateLimitSet = 2001, true }, `^invalid --rate-limit: `},
		{"environment", func(o *CreateOptions) { o.Environment = "dev" }, `^invalid --environment "dev"`},
		{"host bits", func(o *CreateOptions) { o.AllowIPs = []string{"10.0.0.5/8"} }, `^--allow-ip 10\.0\.0\.5/8: host bits set; did you mean 10\.0\.0\.0/8\?$`},
		{"bad ip", func(o *CreateOptions) { o.AllowIPs = []string{"x"} }, `^invalid --allow-ip: "x" is not an IP address`},
		{"past", func(o *CreateOptions) { o.Expires = "2026-04-30" }, `^invalid --expires: must be in the future`},
		{"both expiries", func(o *CreateOptions) { o.Expires, o.ExpiresIn = "2030-01-01", "1d" }, `^--expires and --expires-in cannot be used together$`},
		{"description", func(o *CreateOptions) { o.Description = strings.Repeat("é", 501) }, `^invalid --description: must be at most 500`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := base()
			c.edit(o)
			_, err := o.request(testNow)
			mustUsage(t, err, c.want)
		})
	}
}

func TestBareDateExpiresAtTheEndOfThatDay(t *testing.T) {
	exp, err := parseExpiry("2027-06-30", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC); !exp.Equal(want) {
		t.Errorf("expiry = %s, want %s", exp, want)
	}
}

func TestParseGrace(t *testing.T) {
	good := map[string]time.Duration{
		"0": 0, "0s": 0, "0d": 0, "24h": 24 * time.Hour, "90m": 90 * time.Minute, "2d": 48 * time.Hour,
		"168h": apikey.MaxGrace, "7d": apikey.MaxGrace, " 1h ": time.Hour,
	}
	for in, want := range good {
		got, err := parseGrace(in)
		if err != nil || got != want {
			t.Errorf("parseGrace(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"169h": `must be at most 168h`, "8d": `must be at most 168h`, "1y": `must be at most 168h`,
		"-1h": `must not be negative`, "-2d": `must not be negative`, "soon": `not a duration`, "": `not a duration`,
		"1.5s": `whole number of seconds`, "d": `not a duration`,
	}
	for in, want := range bad {
		_, err := parseGrace(in)
		mustUsage(t, err, want)
	}
}

func TestUpdateFlagsBecomeTheRequest(t *testing.T) {
	f, _, _ := testFactory(nil)
	var got *UpdateOptions
	cmd := NewCmdUpdate(f, func(o *UpdateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"key_0123456789ab", "--name", "N", "--description", "", "--add-scope", "admin:read,loyalty:read",
		"--remove-scope", "coupons:redeem", "--rate-limit", "7", "--clear-ips", "--expires", "2030-01-01T00:00:00Z"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	r := got.Request
	if *r.Name != "N" || *r.Description != "" || *r.RateLimit != 7 || r.IPRestrictions == nil || len(*r.IPRestrictions) != 0 ||
		!r.ExpiresAt.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || r.Permissions != nil {
		t.Errorf("request = %+v", r)
	}
	if !slices.Equal(r.AddPermissions, []string{"admin:read", "loyalty:read"}) || !slices.Equal(r.RemovePermissions, []string{"coupons:redeem"}) {
		t.Errorf("add_permissions = %v, remove_permissions = %v", r.AddPermissions, r.RemovePermissions)
	}
}

func TestUpdateUnsetFlagsAreNotSent(t *testing.T) {
	o := &UpdateOptions{KeyID: "key_0123456789ab", RateLimitSet: true, RateLimit: 10}
	if err := o.validate(testNow); err != nil {
		t.Fatal(err)
	}
	if r := o.Request; r.Name != nil || r.Description != nil || r.IPRestrictions != nil || r.ExpiresAt != nil || r.Permissions != nil {
		t.Errorf("request = %+v, want only rate_limit", r)
	}
}

func TestRotateSelfParsesKeyIDOnlyWithSelf(t *testing.T) {
	f, _, _ := testFactory(nil)
	var got *RotateOptions
	cmd := NewCmdRotate(f, func(o *RotateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--self", "--key-id", "key_0123456789ab", "--grace", "0", "--save"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Self || got.SelfKeyID != "key_0123456789ab" || got.Grace != 0 || got.KeyID != "" || !got.Save {
		t.Errorf("options = %+v", got)
	}

	for _, args := range [][]string{
		{"key_0123456789ab", "--key-id", "key_0123456789ab"},
		{"--self", "--key-id", "nope"},
	} {
		cmd = NewCmdRotate(f, func(o *RotateOptions) error { t.Fatalf("%v ran", args); return nil })
		cmd.SetArgs(args)
		cmd.SetErr(&bytes.Buffer{})
		var usage *cmdutil.UsageError
		if err := cmd.Execute(); !errors.As(err, &usage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func TestRevokeWithoutTerminalNeedsYes(t *testing.T) {
	f, _, _ := testFactory(nil)
	ran := false
	cmd := NewCmdRevoke(f, func(o *RevokeOptions) error { ran = true; return nil })
	cmd.SetArgs([]string{"key_0123456789ab"})
	cmd.SetErr(&bytes.Buffer{})
	mustUsage(t, cmd.Execute(), `^--yes is required when not running interactively$`)
	if ran {
		t.Error("revoke ran without --yes and without a terminal")
	}
	f.IOStreams.SetTTY(true, true, true)
	cmd = NewCmdRevoke(f, func(o *RevokeOptions) error { ran = true; return nil })
	cmd.SetArgs([]string{"key_0123456789ab"})
	if err := cmd.Execute(); err != nil || !ran {
		t.Errorf("on a terminal revoke should ask: err = %v, ran = %v", err, ran)
	}
}

func testKey() *api.Key {
	last := testNow.Add(-3 * time.Hour)
	return &api.Key{
		KeyID: "key_0123456789ab", Name: "PDV loja 1", Description: "Caixa", Permissions: []string{"loyalty:read", "coupons:validate"},
		RateLimit: 100, Environment: "production", IPRestrictions: []string{"10.0.0.0/8"}, CreatedAt: testNow,
		ExpiresAt: testNow.Add(365 * 24 * time.Hour), LastUsedAt: &last, Status: "active", KeyHint: "zup_live_sk_…hij0",
		APIKey: "zup_live_sk_0123456789abcdefhij0", // zupy:allow
	}
}

func TestCardWithoutColourHasEveryFieldAndNoANSI(t *testing.T) {
	k := testKey()
	k.PreviousKey = &api.PreviousKey{KeyID: "key_aaaaaaaaaaaa", ExpiresAt: testNow.Add(24 * time.Hour), Status: "active"}
	cs := ui.NewColorScheme(&bytes.Buffer{}, false, "", "")
	card := secretCard{Title: "Rotated", Key: k, Now: testNow, Previous: k.PreviousKey, Notes: []string{"Saved key_0123456789ab in keyring"}}.render(cs)
	if strings.Contains(card, "\x1b[") {
		t.Errorf("card has ANSI sequences:\n%q", card)
	}
	for _, want := range []string{"╭", "Key ID", "key_0123456789ab", "PDV loja 1", "Caixa", "production", "loyalty:read, coupons:validate",
		"100 requests/minute", "10.0.0.0/8", "in 365 days", "Secret", k.APIKey, SecretWarning,
		"key_aaaaaaaaaaaa expires 2026-05-02T12:00:00Z (in 24 hours)", "Saved key_0123456789ab in keyring"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
}

func TestCardWithColourHighlightsTheSecret(t *testing.T) {
	cs := ui.NewColorScheme(&bytes.Buffer{}, true, "", "xterm-256color")
	card := secretCard{Title: "Created", Key: testKey(), Now: testNow}.render(cs)
	if !strings.Contains(card, cs.Secret(testKey().APIKey)) {
		t.Errorf("the secret is not highlighted:\n%q", card)
	}
}

func TestNewKeyOutputInAPipeIsTheSecretAlone(t *testing.T) {
	f, out, errOut := testFactory(nil)
	k := testKey()
	if err := (newKeyOutput{Title: "Created API key", Verb: "Created", Key: k}).print(f.IOStreams, false, testNow); err != nil {
		t.Fatal(err)
	}
	if out.String() != k.APIKey+"\n" {
		t.Errorf("stdout = %q, want the secret alone", out.String())
	}
	if want := `Created key key_0123456789ab "PDV loja 1" (production, 2 scopes, expires 2027-05-01T12:00:00Z)` + "\n"; errOut.String() != want {
		t.Errorf("stderr = %q, want %q", errOut.String(), want)
	}
}

func TestPlainKeyNeverHasTheSecret(t *testing.T) {
	k := testKey()
	s := plainKey(k)
	if strings.Contains(s, k.APIKey) {
		t.Error("plain key output contains the secret")
	}
	if !strings.Contains(s, "last_used_at\t2026-05-01T09:00:00Z\n") || !strings.Contains(s, "revoked_at\t\n") {
		t.Errorf("plain key output:\n%s", s)
	}
}

func TestKeyTableInAPipeIsTabSeparated(t *testing.T) {
	var out bytes.Buffer
	io := ui.Test(strings.NewReader(""), &out, &bytes.Buffer{})
	k := testKey()
	k.LastUsedAt = nil
	if err := renderKeyTable(io, []api.Key{*k}, testNow, k.KeyID, nil); err != nil {
		t.Fatal(err)
	}
	want := "key_0123456789ab\tPDV loja 1\tproduction\tloyalty:read,coupons:validate\t100\t10.0.0.0/8\t2027-05-01T12:00:00Z\t\tactive\n"
	if out.String() != want {
		t.Errorf("row = %q, want %q", out.String(), want)
	}
}

func TestKeyTableOnATerminalMarksDefaultAndSoonExpiry(t *testing.T) {
	var out bytes.Buffer
	io := ui.Test(strings.NewReader(""), &out, &bytes.Buffer{})
	io.SetTTY(false, true, false)
	k := testKey()
	k.ExpiresAt = testNow.Add(3 * 24 * time.Hour)
	k.LastUsedAt = nil
	if err := renderKeyTable(io, []api.Key{*k}, testNow, k.KeyID, nil); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"ID", "LAST USED", "key_0123456789ab*", "in 3 days", "never"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
}

func TestRotationWarningWithinThirtyDays(t *testing.T) {
	key := func(left time.Duration) *api.Key {
		return &api.Key{KeyID: "key_0123456789ab", ExpiresAt: testNow.Add(left)}
	}
	if w := expiryWarning(key(31*24*time.Hour), true, testNow); w != "" {
		t.Errorf("31 days left: %q, want no warning", w)
	}
	w := expiryWarning(key(29*24*time.Hour), true, testNow)
	if !strings.HasPrefix(w, "Warning: the new key key_0123456789ab expires ") || !strings.Contains(w, "a key rotating itself keeps its expiry") ||
		!strings.Contains(w, "`zupy keys update key_0123456789ab --expires-in 1y`") {
		t.Errorf("29 days left, self: %q", w)
	}
	if w := expiryWarning(key(29*24*time.Hour), false, testNow); w == "" || strings.Contains(w, "itself") {
		t.Errorf("29 days left, by a session: %q", w)
	}
}

func TestLastRotationSaysWhoRotated(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	byKey := &api.Rotation{At: at, By: api.RotatedByKey, KeyID: "key_0123456789ab"}
	bySession := &api.Rotation{At: at, By: api.RotatedBySession}
	if got := plainRotation(byKey); got != "key key_0123456789ab 2026-03-01T10:00:00Z" {
		t.Errorf("plain, by key: %q", got)
	}
	if got := plainRotation(bySession); got != "session 2026-03-01T10:00:00Z" {
		t.Errorf("plain, by session: %q", got)
	}
	if got := plainRotation(nil); got != "" {
		t.Errorf("plain, never rotated: %q", got)
	}
	if got := rotationSummary(byKey); got != "by the key itself (key_0123456789ab)" {
		t.Errorf("summary, by key: %q", got)
	}
	if got := rotationSummary(bySession); got != "by a session" {
		t.Errorf("summary, by session: %q", got)
	}
}

func TestKeyTableMarksSavedKeysAndARotatedKeyInItsGrace(t *testing.T) {
	var out bytes.Buffer
	io := ui.Test(strings.NewReader(""), &out, &bytes.Buffer{})
	io.SetTTY(false, true, false)
	old := testKey()
	successor := "key_bbbbbbbbbbbb"
	old.RotatedTo = &successor
	old.ExpiresAt = time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC)
	next := testKey()
	next.KeyID = successor
	if err := renderKeyTable(io, []api.Key{*old, *next}, testNow, "", []string{successor}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"key_bbbbbbbbbbbb+", "active (rotated, until May 2 12:00Z)", "+ its secret is saved on this machine"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "key_0123456789ab+") {
		t.Errorf("a key not saved is marked saved:\n%s", s)
	}
}
