package keys

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/wire"
)

var auditNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// auditKey is a healthy staging key, 40 days old, living a year.
func auditKey(id string, edit ...func(*api.Key)) api.Key {
	k := api.Key{KeyID: id, Name: "n " + id, Environment: "staging", Status: wire.StatusActive, RateLimit: 100,
		Permissions: []string{"loyalty:read"}, CreatedAt: auditNow.Add(-40 * 24 * time.Hour),
		ExpiresAt: auditNow.Add(300 * 24 * time.Hour), KeyHint: "zup_test_sk_…" + id[len(id)-4:]}
	for _, e := range edit {
		e(&k)
	}
	return k
}

// busy is a usage row of a key called for its scope from one address.
func busy(id string, edit ...func(*api.UsageSummary)) api.UsageSummary {
	last := auditNow.Add(-time.Hour)
	u := api.UsageSummary{KeyID: id, Totals: wire.UsageCounts{Requests: 10, OK: 10}, Scopes: map[string]int64{"loyalty:read": 10},
		IPs: []wire.UsageIP{{IP: "203.0.113.7", Requests: 10, LastSeen: last}}, LastRequestAt: &last,
		PeakMinute: &wire.UsagePoint{Start: last, UsageCounts: wire.UsageCounts{Requests: 3, OK: 3}}}
	for _, e := range edit {
		e(&u)
	}
	return u
}

func TestAuditFindings(t *testing.T) {
	day := 24 * time.Hour
	strp := func(s string) *string { return &s }
	params := auditParams{Since: 30 * day, MaxAge: 90 * day}
	for _, c := range []struct {
		name   string
		keys   []api.Key
		usage  []api.UsageSummary
		leaks  []leak
		params *auditParams
		want   []string // "check severity key evidence-substring fix"
	}{
		{name: "a healthy key has no finding", keys: []api.Key{auditKey("key_clean0000001")}, usage: []api.UsageSummary{busy("key_clean0000001")}},
		{name: "expiring within 30 days is medium",
			keys:  []api.Key{auditKey("key_exp000000001", func(k *api.Key) { k.ExpiresAt = auditNow.Add(20 * day) })},
			usage: []api.UsageSummary{busy("key_exp000000001")},
			want:  []string{"expiring medium key_exp000000001 in 20d|zupy keys rotate key_exp000000001"}},
		{name: "expiring within 7 days is high",
			keys:  []api.Key{auditKey("key_exp000000002", func(k *api.Key) { k.ExpiresAt = auditNow.Add(3 * day) })},
			usage: []api.UsageSummary{busy("key_exp000000002")},
			want:  []string{"expiring high key_exp000000002 in 3d|zupy keys rotate key_exp000000002"}},
		{name: "an expiring key with a successor is in its grace, not expiring",
			keys: []api.Key{
				auditKey("key_old000000001", func(k *api.Key) { k.ExpiresAt = auditNow.Add(day); k.RotatedTo = strp("key_new000000001") }),
				auditKey("key_new000000001")},
			usage: []api.UsageSummary{busy("key_new000000001")}},
		{name: "unused: no request in the window, older than it",
			keys: []api.Key{auditKey("key_unused000001"), auditKey("key_young0000001", func(k *api.Key) { k.CreatedAt = auditNow.Add(-day) })},
			want: []string{"unused low key_unused000001 no request in the last 30d|zupy keys revoke key_unused000001"}},
		{name: "unused scopes of a used key",
			keys:  []api.Key{auditKey("key_scopes000001", func(k *api.Key) { k.Permissions = []string{"loyalty:read", "customer:read", "coupons:validate"} })},
			usage: []api.UsageSummary{busy("key_scopes000001")},
			want:  []string{"unused-scopes medium key_scopes000001 customer:read, coupons:validate|zupy keys update key_scopes000001 --remove-scope customer:read,coupons:validate"}},
		{name: "a young key's scopes are not judged yet",
			keys: []api.Key{auditKey("key_scopes000002", func(k *api.Key) {
				k.Permissions = []string{"loyalty:read", "customer:read"}
				k.CreatedAt = auditNow.Add(-2 * day)
			})},
			usage: []api.UsageSummary{busy("key_scopes000002")}},
		{name: "a production key without an allow-list, from the addresses seen",
			keys: []api.Key{auditKey("key_prod00000001", func(k *api.Key) { k.Environment = "production" }),
				auditKey("key_prod00000002", func(k *api.Key) { k.Environment = "production"; k.IPRestrictions = []string{"203.0.113.7/32"} })},
			usage: []api.UsageSummary{busy("key_prod00000001", func(u *api.UsageSummary) {
				u.IPs = append(u.IPs, wire.UsageIP{IP: "198.51.100.4", Requests: 1})
			}), busy("key_prod00000002")},
			want: []string{"no-ip-allowlist medium key_prod00000001 does not say which got 2xx|zupy keys update key_prod00000001 --allow-ip 203.0.113.7,198.51.100.4"}},
		{name: "old lineage",
			keys:  []api.Key{auditKey("key_lineage00001", func(k *api.Key) { k.CreatedAt = auditNow.Add(-100 * day) })},
			usage: []api.UsageSummary{busy("key_lineage00001")},
			want:  []string{"old-lineage medium key_lineage00001 100d ago|zupy keys rotate key_lineage00001"}},
		{name: "near the limit without 429s is low, with them medium, at the top no command",
			keys: []api.Key{auditKey("key_near00000001", func(k *api.Key) { k.RateLimit = 10 }),
				auditKey("key_near00000002", func(k *api.Key) { k.RateLimit = 100 }),
				auditKey("key_near00000003", func(k *api.Key) { k.RateLimit = 2000 })},
			usage: []api.UsageSummary{
				busy("key_near00000001", func(u *api.UsageSummary) { u.PeakMinute.Requests = 8 }),
				busy("key_near00000002", func(u *api.UsageSummary) { u.PeakMinute = nil; u.Totals.RateLimited = 4 }),
				busy("key_near00000003", func(u *api.UsageSummary) { u.PeakMinute.Requests = 1900; u.Totals.RateLimited = 1 })},
			want: []string{
				"near-limit medium key_near00000002 4 requests refused with 429|zupy keys update key_near00000002 --rate-limit 1000",
				"near-limit medium key_near00000003 already at the maximum|",
				"near-limit low key_near00000001 busiest minute 8 of 10|zupy keys update key_near00000001 --rate-limit 100"}},
		{name: "429s under a limit raised since are past",
			keys: []api.Key{auditKey("key_near00000004", func(k *api.Key) { k.RateLimit = 100 })},
			usage: []api.UsageSummary{busy("key_near00000004", func(u *api.UsageSummary) {
				u.PeakMinute.Requests = 4
				u.Totals.RateLimited = 1
			})}},
		{name: "a rotated key still called in its grace",
			keys: []api.Key{
				auditKey("key_grace0000001", func(k *api.Key) {
					k.RotatedTo = strp("key_grace0000002")
					k.LastRotation = &api.Rotation{At: auditNow.Add(-2 * time.Hour), By: wire.RotatedBySession}
					k.ExpiresAt = auditNow.Add(22 * time.Hour)
					k.CreatedAt = auditNow.Add(-200 * day) // old, unused scopes: not judged in the grace
					k.Permissions = []string{"loyalty:read", "customer:read"}
				}),
				auditKey("key_grace0000002", func(k *api.Key) { k.CreatedAt = auditNow.Add(-2 * time.Hour) })},
			usage: []api.UsageSummary{busy("key_grace0000001"), busy("key_grace0000002")},
			want:  []string{"grace-in-use medium key_grace0000001 rotated to key_grace0000002|zupy keys usage key_grace0000001 --since 1h"}},
		{name: "a rotated key not called since its rotation",
			keys: []api.Key{
				auditKey("key_grace0000003", func(k *api.Key) {
					k.RotatedTo = strp("key_grace0000004")
					k.LastRotation = &api.Rotation{At: auditNow.Add(-30 * time.Minute), By: wire.RotatedBySession}
				}),
				auditKey("key_grace0000004")},
			usage: []api.UsageSummary{busy("key_grace0000003"), busy("key_grace0000004")}},
		{name: "leaked: matched by hint and environment, revoked and other-environment keys left out",
			keys:  []api.Key{auditKey("key_leak00000001"), auditKey("key_leak00000002", func(k *api.Key) { k.Status = wire.StatusRevoked })},
			usage: []api.UsageSummary{busy("key_leak00000001"), busy("key_leak00000002")},
			leaks: []leak{{Hint: "zup_test_sk_…0001", Environment: "staging", Where: "app/.env:3"},
				{Hint: "zup_test_sk_…0002", Environment: "staging", Where: "x"},
				{Hint: "zup_test_sk_…0001", Environment: "production", Where: "y"}},
			want: []string{"leaked high key_leak00000001 in app/.env:3|zupy keys rotate key_leak00000001"}},
		{name: "expired and revoked keys are not audited",
			keys: []api.Key{auditKey("key_dead00000001", func(k *api.Key) { k.ExpiresAt = auditNow.Add(-time.Minute) }),
				auditKey("key_dead00000002", func(k *api.Key) { k.Status = wire.StatusRevoked })}},
		{name: "--check keeps some checks; the profile is named in fixes",
			keys:   []api.Key{auditKey("key_many00000001", func(k *api.Key) { k.Environment = "production"; k.CreatedAt = auditNow.Add(-100 * day) })},
			params: &auditParams{Since: 30 * day, MaxAge: 90 * day, Checks: []string{checkUnused}, Profile: "ci"},
			want:   []string{"unused low key_many00000001 no request|zupy keys revoke key_many00000001 --profile ci"}},
		{name: "most severe key first, then by severity within a key",
			keys: []api.Key{auditKey("key_aaaa00000001", func(k *api.Key) { k.CreatedAt = auditNow.Add(-100 * day) }),
				auditKey("key_bbbb00000001", func(k *api.Key) { k.ExpiresAt = auditNow.Add(2 * day); k.CreatedAt = auditNow.Add(-100 * day) })},
			want: []string{"expiring high key_bbbb00000001 in 2d|", "old-lineage medium key_bbbb00000001 100d|", "unused low key_bbbb00000001 |",
				"old-lineage medium key_aaaa00000001 100d|", "unused low key_aaaa00000001 |"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			usage := map[string]api.UsageSummary{}
			for _, u := range c.usage {
				usage[u.KeyID] = u
			}
			p := params
			if c.params != nil {
				p = *c.params
			}
			got := findings(c.keys, usage, c.leaks, auditNow, p)
			if len(got) != len(c.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(c.want), dumpFindings(got))
			}
			for i, w := range c.want {
				head, fix, _ := strings.Cut(w, "|")
				parts := strings.SplitN(head, " ", 4)
				f := got[i]
				if f.Check != parts[0] || f.Severity.String() != parts[1] || f.KeyID != parts[2] || !strings.Contains(f.Evidence, parts[3]) || f.Fix != fix && fix != "" {
					t.Errorf("finding %d:\n got %s\nwant %s", i, dumpFindings(got[i:i+1]), w)
				}
				if fix == "" && strings.Contains(parts[3], "maximum") && f.Fix != "" {
					t.Errorf("finding %d: a key at the top tier got the fix %q", i, f.Fix)
				}
				if f.Check == checkNoIPs && !f.Review {
					t.Errorf("an allow-list from the addresses seen is not marked review")
				}
			}
		})
	}
}

func dumpFindings(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %s %s | %s\n", f.Check, f.Severity, f.KeyID, f.Evidence, f.Fix)
	}
	return b.String()
}

func TestAuditOutputs(t *testing.T) {
	fs := []Finding{
		{Check: checkExpiring, Severity: sevHigh, KeyID: "key_0123456789ab", Name: "pdv | loja", Environment: "staging",
			Evidence: "expires at 2026-12-03 12:00 UTC (in 2d), no successor", Fix: "zupy keys rotate key_0123456789ab"},
		{Check: checkNoIPs, Severity: sevMedium, KeyID: "key_0123456789ab", Name: "pdv | loja", Environment: "staging",
			Evidence: "production key accepted from any address", Fix: "zupy keys update key_0123456789ab --allow-ip 203.0.113.7", Review: true},
	}
	opts := &AuditOptions{Since: 30 * 24 * time.Hour, MaxAge: 90 * 24 * time.Hour}
	md := markdownAudit(fs, 3, auditNow, opts)
	for _, want := range []string{"# Zupy API key audit", "2 findings on 1 of 3 keys: 1 high, 1 medium",
		"## `key_0123456789ab` pdv \\| loja (staging)", "| high | expiring | expires at", "| `zupy keys rotate key_0123456789ab` |",
		"(review the addresses first)"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	f, out, _ := testFactory(nil)
	f.IOStreams.SetTerminalWidth(50)
	text := textAudit(f.IOStreams, fs, 3)
	for _, line := range strings.Split(text, "\n") {
		if len([]rune(line)) > 50 {
			t.Errorf("line wider than the terminal: %q", line)
		}
	}
	for _, want := range []string{"key_0123456789ab  pdv | loja  staging", "  high   expiring", "review", "zupy keys rotate key_0123456789ab"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	_ = out

	// Server strings (a key's name, an id) cannot draw or break a line.
	hostile := []Finding{{Check: checkUnused, Severity: sevLow, KeyID: "key_0123456789ab\x1b[2J", Name: "evil\x1b[31m\nname`|",
		Environment: "staging\r", Evidence: "no request", Fix: "zupy keys revoke key_0123456789ab\x1b[2J"}}
	for name, got := range map[string]string{"text": textAudit(f.IOStreams, hostile, 1), "markdown": markdownAudit(hostile, 1, auditNow, opts)} {
		if strings.ContainsAny(got, "\x1b\r") || strings.Contains(got, "evil\x1b") || strings.Contains(got, "m\nname") {
			t.Errorf("%s output carries a server's control characters: %q", name, got)
		}
	}
}

// parseAudit runs `zupy keys audit <args>` with the run replaced.
func parseAudit(t *testing.T, args ...string) (*AuditOptions, error) {
	t.Helper()
	f, _, _ := testFactory(nil)
	var got *AuditOptions
	group := &cobra.Command{Use: "keys"}
	group.AddCommand(NewCmdAudit(f, func(o *AuditOptions) error { got = o; return nil }))
	err := clitest.Run(context.Background(), f, group, append([]string{"keys", "audit"}, args...)...)
	return got, err
}

func TestNewCmdAuditFlags(t *testing.T) {
	o, err := parseAudit(t, "--since", "7d", "--max-age", "2160h", "--fail-on", "medium", "--exit-code", "3", "--check", "unused", "--check", "leaked", "-o", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	if o.Since != 7*24*time.Hour || o.MaxAge != 90*24*time.Hour || o.FailOn != sevMedium || o.ExitCode != 3 ||
		strings.Join(o.Checks, ",") != "unused,leaked" || o.Output != "markdown" {
		t.Errorf("options: %+v", o)
	}
	if o, err = parseAudit(t); err != nil || o.Since != 30*24*time.Hour || o.MaxAge != 90*24*time.Hour || o.FailOn != 0 || o.ExitCode != 1 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "soon"}, `invalid --since "soon"`},
		{[]string{"--max-age", "-3d"}, `invalid --max-age "-3d"`},
		{[]string{"--fail-on", "critical"}, `invalid --fail-on "critical"`},
		{[]string{"--exit-code", "4"}, "--exit-code needs --fail-on"},
		{[]string{"--fail-on", "low", "--exit-code", "0"}, "invalid --exit-code 0"},
		{[]string{"--check", "stale"}, `invalid --check "stale"`},
		{[]string{"--scan", "/nonexistent/zupy"}, "no such file or folder"},
		{[]string{"-o", "sarif"}, `invalid --output "sarif"`},
		{[]string{"extra"}, "extra"},
	} {
		o, err := parseAudit(t, c.args...)
		if o != nil || err == nil || !strings.Contains(err.Error(), c.want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%v: options %v, err %v (exit %d), want a usage error %q", c.args, o != nil, err, cmdutil.ExitCode(err), c.want)
		}
	}
}

func TestAuditDurationsRoundToTheNearestUnit(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10*24*time.Hour - 90*time.Second, "10d"}, // created with --expires-in 10d a moment ago
		{9*24*time.Hour + 11*time.Hour, "9d"},
		{47*time.Hour + 50*time.Minute, "48h"},
		{90 * time.Minute, "2h"},
		{59*time.Minute + 40*time.Second, "60m"},
		{-time.Minute, "0m"},
	} {
		if got := days(c.d); got != c.want {
			t.Errorf("days(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
