package scan

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/apikey"
	zscan "github.com/zupy/zupy-cli/internal/scan"
	"github.com/zupy/zupy-cli/internal/ui"
)

// reportFixture is a --git --verify report of two findings of one live
// key (its secret made at run time) and a key whose check was refused for
// its rate limit; it returns the report and the key's secret.
func reportFixture(t *testing.T) (*report, string) {
	t.Helper()
	secret, err := apikey.Generate(apikey.Production)
	if err != nil {
		t.Fatal(err)
	}
	other, err := apikey.Generate(apikey.Staging)
	if err != nil {
		t.Fatal(err)
	}
	live := &verdict{status: statusLive, keyID: "key_aaaaaaaaaaaa", environment: "production", scopes: []string{"loyalty:read", "customer:read"}}
	return &report{git: true, verify: true, results: []result{
		{Finding: zscan.Finding{Path: "a b.txt", Line: 3, Column: 7, Kind: zscan.LiveKey, Secret: zscan.NewSecret(secret), Commit: "0123456789abcdef0123"}, verdict: live},
		{Finding: zscan.Finding{Path: "c.txt", Line: 1, Column: 1, Kind: zscan.TestKey, Secret: zscan.NewSecret(other), Commit: "fedcba9876543210fedc"},
			verdict: &verdict{status: statusLive, environment: "staging", note: "rate limited; scopes not read"}},
	}}, secret
}

func render(t *testing.T, name string, r *report, tty bool) string {
	t.Helper()
	var out bytes.Buffer
	io := ui.Test(strings.NewReader(""), &out, &bytes.Buffer{})
	io.SetTTY(false, tty, false)
	if err := writerOf(name).write(io, r); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestOutputsAreTheWriters: -o accepts exactly the formats that have a
// writer, text (the default) first, the others by name.
func TestOutputsAreTheWriters(t *testing.T) {
	if got := outputs(); !slices.Equal(got, []string{"text", "json", "sarif"}) {
		t.Errorf("outputs() = %v", got)
	}
	for _, name := range outputs() {
		if writerOf(name).write == nil {
			t.Errorf("no writer for %q", name)
		}
	}
}

// TestNoWriterPrintsASecretWhole runs every writer over the fixture.
func TestNoWriterPrintsASecretWhole(t *testing.T) {
	r, secret := reportFixture(t)
	for _, name := range outputs() {
		for _, tty := range []bool{false, true} {
			if out := render(t, name, r, tty); strings.Contains(out, secret) || !strings.Contains(out, apikey.Mask(secret)) {
				t.Errorf("%s (tty %v) shows the secret whole or not at all:\n%s", name, tty, out)
			}
		}
	}
}

// TestRevokeHintNamesTheProfile: the command the summary suggests after
// live keys runs against the --profile in use, as every printed command
// does (cmdutil.ZupyCommand).
func TestRevokeHintNamesTheProfile(t *testing.T) {
	for profile, want := range map[string]string{
		"":        "`zupy keys scan --revoke`",
		"staging": "`zupy keys scan --revoke --profile staging`",
	} {
		fx, _ := reportFixture(t)
		var findings []zscan.Finding
		verdicts := map[string]*verdict{}
		for _, res := range fx.results {
			findings = append(findings, res.Finding)
			verdicts[res.Secret.Reveal()] = res.verdict
		}
		r := newReport(&ScanOptions{Git: true, Verify: true, Profile: profile}, findings, verdicts, fx.stats)
		var errOut bytes.Buffer
		io := ui.Test(strings.NewReader(""), &bytes.Buffer{}, &errOut)
		io.SetTTY(false, false, true)
		r.summarize(io)
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("profile %q: want %s in\n%s", profile, want, errOut.String())
		}
	}
}
