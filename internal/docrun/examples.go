package docrun

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/emulator"
)

// ParseExample reads the Example text of a help page (named source, for
// messages) into a Block of commands, as in a ```sh block: continuation
// lines joined, comments and blank lines left out, and the commands shown
// but not run marked (see the package comment).
//
// Conventions of a help example, so that it reads well and still runs
// (Examples.Run):
//   - the profile has a default key, saved (scopes loyalty:read,
//     coupons:validate, keys:rotate; 2000 requests a minute);
//   - key_0123456789ab stands for a key of the partner: each line naming it
//     gets a fresh active key with those scopes and coupons:redeem, saved
//     in the profile;
//   - $OLD and $KEY hold the secret of a fresh key with those scopes, $ID
//     the verification id of a code just sent to dev@example.com,
//     $ZUPY_API_KEY the secret of a fresh key, and key.txt and patch.json
//     (when named) a secret and a PATCH body;
//   - the block runs in an empty git repository with folders src and config.
func ParseExample(source, text string) Block {
	b := Block{Source: source, Lang: "sh"}
	var cur *Command
	for n, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cur != nil {
			cur.Text += "\n" + line
		} else if line == "" || strings.HasPrefix(line, "#") {
			continue
		} else {
			cur = &Command{Line: n + 1, Text: line}
		}
		if continues(cur.Text) {
			continue
		}
		cur.finish(false)
		b.Commands = append(b.Commands, *cur)
		cur = nil
	}
	if cur != nil {
		cur.finish(false)
		b.Commands = append(b.Commands, *cur)
	}
	return b
}

// KeyPlaceholder is the key id examples use for "a key of yours".
const KeyPlaceholder = "key_0123456789ab"

// Examples is a Sandbox for help examples: the config in its HOME with the
// credentials file as store, and a fresh in-memory emulator at
// ZUPY_BASE_URL with the demo partner logged in.
type Examples struct {
	t       testing.TB
	dir     string
	base    string
	client  *api.Client
	session string
	store   credentials.Store // the profile's credentials file
	env     []string
}

// NewExamples makes a sandbox for the examples of help pages, run by zupy
// (the path of a program named zupy).
func NewExamples(t testing.TB, zupy string) *Examples {
	t.Helper()
	ctx := context.Background()
	srv, err := emulator.Open(ctx, emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	sb := NewSandbox(t, zupy)
	s := &Examples{t: t, dir: sb.Dir, base: hs.URL + "/v1"}
	s.client = api.New(api.Options{BaseURL: s.base})
	cfgDir := filepath.Join(s.dir, ".config", "zupy")
	cfg, err := config.Load(filepath.Join(cfgDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set(config.DefaultProfile, config.CredentialStore, "file"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	token := s.login(ctx)
	s.store = credentials.NewFile(filepath.Join(cfgDir, "credentials.yaml"))
	if err := s.store.Set(ctx, credentials.SessionAccount(config.DefaultProfile), token); err != nil {
		t.Fatal(err)
	}
	def := s.newKey(ctx, "Default", "loyalty:read", "coupons:validate", "keys:rotate")
	if err := credentials.SaveKey(ctx, s.store, config.DefaultProfile, def.KeyID, def.APIKey); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set(config.DefaultProfile, config.DefaultKeyID, def.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	s.env = append(sb.Env,
		"ZUPY_CONFIG_DIR="+cfgDir,
		"XDG_CONFIG_HOME="+filepath.Join(s.dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(s.dir, ".local", "share"),
		"XDG_STATE_HOME="+filepath.Join(s.dir, ".local", "state"),
		"ZUPY_BASE_URL="+s.base,
		"TERM=dumb",
	)
	return s
}

// login logs the demo partner in by e-mail and returns the session token.
func (s *Examples) login(ctx context.Context) string {
	ch, _, err := s.client.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail}, false)
	if err != nil {
		s.t.Fatal(err)
	}
	login, _, err := s.client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: s.lastCode(ctx)})
	if err != nil {
		s.t.Fatal(err)
	}
	s.session = login.SessionToken
	// Past the resend cooldown, so that an example may ask for a code.
	if _, _, err := s.client.AdvanceClock(ctx, 61); err != nil {
		s.t.Fatal(err)
	}
	return login.SessionToken
}

func (s *Examples) lastCode(ctx context.Context) string {
	box, _, err := s.client.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		s.t.Fatalf("outbox: %v", err)
	}
	return box.Messages[len(box.Messages)-1].Code
}

// exampleScopes are the scopes of the keys examples get.
var exampleScopes = []string{"loyalty:read", "coupons:validate", "coupons:redeem", "keys:rotate"}

// newKey creates a key of the demo partner with scopes and returns it with
// its secret.
func (s *Examples) newKey(ctx context.Context, name string, scopes ...string) *api.Key {
	limit := 2000
	k, _, err := s.client.CreateKey(ctx, s.session, api.CreateKeyRequest{Name: name, Permissions: scopes, Environment: "production", RateLimit: &limit})
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// exampleTools are the programs examples may call besides zupy and the
// shell's own, with the Debian package of each.
var exampleTools = map[string]string{"jq": "jq", "git": "git", "curl": "curl"}

// Run runs the commands of the block that run, one after the other, in one
// bash process (so a variable carries on, and a background job lasts the
// block), stopping at the first that exits other than it says (0, or N
// after "# exit N"); the error names that
// command and shows the output. Background jobs are stopped at the end. A
// tool an example calls that is not installed fails it in CI and skips it
// elsewhere (clitest.RequireTool).
func (s *Examples) Run(ctx context.Context, b Block) error {
	run := b.Run()
	if len(run) == 0 {
		return nil
	}
	env := append([]string{}, s.env...)
	var script strings.Builder
	script.WriteString("trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n")
	var texts []string
	for _, c := range run {
		texts = append(texts, c.Text)
	}
	text := strings.Join(texts, "\n")
	for tool, deb := range exampleTools {
		if regexp.MustCompile(`(^|[|(;&\n] *)` + tool + ` `).MatchString(text) {
			clitest.RequireTool(s.t, tool, deb)
		}
	}
	for _, v := range []string{"OLD", "KEY"} {
		if strings.Contains(text, "$"+v) {
			env = append(env, v+"="+s.newKey(ctx, v, exampleScopes...).APIKey)
		}
	}
	if strings.Contains(text, "$ZUPY_API_KEY") {
		env = append(env, "ZUPY_API_KEY="+s.newKey(ctx, "Env", "loyalty:read").APIKey)
	}
	// The block runs in a folder of its own, apart from HOME and the
	// config directory (where a secret scan would find the session).
	work := filepath.Join(s.dir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	// A git repository with a src and a config folder, for the examples
	// that scan one.
	if _, err := exec.LookPath("git"); err == nil {
		if out, err := exec.Command("git", "init", "-q", work).CombinedOutput(); err != nil {
			return fmt.Errorf("git init: %v: %s", err, out)
		}
	}
	for _, d := range []string{"src", "config"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o700); err != nil {
			return err
		}
	}
	if strings.Contains(text, "patch.json") {
		if err := os.WriteFile(filepath.Join(work, "patch.json"), []byte(`{"name": "Patched"}`+"\n"), 0o600); err != nil {
			return err
		}
	}
	if strings.Contains(text, "key.txt") {
		secret := s.newKey(ctx, "File", "loyalty:read").APIKey
		if err := os.WriteFile(filepath.Join(work, "key.txt"), []byte(secret+"\n"), 0o600); err != nil {
			return err
		}
	}
	if strings.Contains(text, "$ID") {
		// A code for dev@example.com; then past its cooldown again.
		ch, _, err := s.client.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail}, false)
		if err != nil {
			return err
		}
		if _, _, err := s.client.AdvanceClock(ctx, 61); err != nil {
			return err
		}
		env = append(env, "ID="+ch.VerificationID)
	}
	for i, c := range run {
		line := c.Text
		if strings.Contains(line, KeyPlaceholder) {
			k := s.newKey(ctx, "Example", exampleScopes...)
			if err := credentials.SaveKey(ctx, s.store, config.DefaultProfile, k.KeyID, k.APIKey); err != nil {
				return err
			}
			line = strings.ReplaceAll(line, KeyPlaceholder, k.KeyID)
		}
		fmt.Fprintf(&script, "printf '%%s\\n' %s >&2\n%s\nrc=$?\nif [ $rc -ne %d ]; then echo \"docrun: line %d exited $rc, not %d\" >&2; exit 100; fi\n",
			shellQuote("$ "+c.Text), line, c.Exit, i+1, c.Exit)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := runBash(ctx, work, env, script.String(), false)
	if err == nil && res.Exit != 0 {
		err = fmt.Errorf("exit status %d", res.Exit)
	}
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", b.Source, err, redact(res.Output))
	}
	return nil
}

var secretPattern = regexp.MustCompile(`zup_(?:live|test)_sk_[A-Za-z0-9]+|zup_sess_[A-Za-z0-9]+`)

// redact masks the secrets in output shown on failure.
func redact(s string) string { return secretPattern.ReplaceAllString(s, "[secret]") }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
