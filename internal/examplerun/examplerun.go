// Package examplerun runs shell examples offline, as a reader would paste
// them: the Example text of every help page, and (through the same API) the
// shell blocks of the guides. Each block runs in one bash process, in a
// fresh sandbox: a private HOME and config directory, the zupy under test on
// PATH, and an in-process emulator with the demo partner logged in. Only
// tests import it.
//
// Conventions of an example, so that it reads well and still runs:
//   - a line whose trailing comment starts with "# on a terminal",
//     "# until Ctrl-C" or "# your tests" is shown to people but not run (it
//     prompts, serves until stopped, or runs the reader's own tests);
//   - the profile has a default key, saved (scopes loyalty:read,
//     coupons:validate, keys:rotate; 2000 requests a minute);
//   - key_0123456789ab stands for a key of the partner: each line naming it
//     gets a fresh active key with those scopes and coupons:redeem, saved
//     in the profile;
//   - $OLD and $KEY hold the secret of a fresh key with those scopes, $ID
//     the verification id of a code just sent to dev@example.com,
//     $ZUPY_API_KEY the secret of a fresh key, and key.txt and patch.json
//     (when named) a secret and a PATCH body;
//   - a line that runs a tool that is not installed (jq, git) is skipped,
//     and reported;
//   - the block runs in an empty git repository with folders src and config.
package examplerun

import (
	"bytes"
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
	"github.com/zupy/zupy-cli/internal/config"
	"github.com/zupy/zupy-cli/internal/credentials"
	"github.com/zupy/zupy-cli/internal/emulator"
)

// KeyPlaceholder is the key id examples use for "a key of yours".
const KeyPlaceholder = "key_0123456789ab"

// Block is a piece of shell to run: its commands, continuation lines
// joined, comments and blank lines left out.
type Block struct {
	Source  string   // where it comes from, for messages: "zupy keys create --help"
	Lines   []string // the commands that run
	Skipped []string // the commands shown but not run, with why
}

// notRun are the trailing comments that mark a line as shown, not run.
var notRun = []string{"# on a terminal", "# until Ctrl-C", "# your tests"}

// Parse reads shell text (a help page's Example, a guide's block) into a
// Block named source.
func Parse(source, text string) Block {
	b := Block{Source: source}
	var cur strings.Builder
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(strings.TrimSpace(cont) + " ")
			continue
		}
		if strings.HasSuffix(line, "|") || strings.HasSuffix(line, "&&") {
			cur.WriteString(line + " ")
			continue
		}
		cur.WriteString(line)
		cmd := strings.TrimSpace(cur.String())
		cur.Reset()
		if cmd == "" || strings.HasPrefix(cmd, "#") {
			continue
		}
		if reason, ok := skipReason(cmd); ok {
			b.Skipped = append(b.Skipped, cmd+"  ("+reason+")")
			continue
		}
		b.Lines = append(b.Lines, cmd)
	}
	return b
}

func skipReason(cmd string) (string, bool) {
	for _, tag := range notRun {
		if i := strings.Index(cmd, tag); i > 0 {
			return strings.TrimPrefix(tag, "# "), true
		}
	}
	for _, tool := range []string{"jq", "gh", "curl", "git"} {
		if regexp.MustCompile(`(^|[|(;&] *)` + tool + ` `).MatchString(cmd) {
			if _, err := exec.LookPath(tool); err != nil {
				return tool + " is not installed", true
			}
		}
	}
	return "", false
}

// Sandbox is where blocks run: a directory, the zupy binary, an emulator.
type Sandbox struct {
	t       testing.TB
	zupy    string
	dir     string
	base    string
	client  *api.Client
	session string
	store   credentials.Store // the profile's credentials file
	env     []string
}

// New makes a sandbox for zupy (the path of a built binary): a temporary
// directory as HOME and working directory, the config in it with the
// credentials file as store, and a fresh in-memory emulator at
// ZUPY_BASE_URL with the demo partner logged in.
func New(t testing.TB, zupy string) *Sandbox {
	t.Helper()
	ctx := context.Background()
	srv, err := emulator.Open(ctx, emulator.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	s := &Sandbox{t: t, zupy: zupy, dir: t.TempDir(), base: hs.URL + "/v1"}
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
	s.env = []string{
		"PATH=" + filepath.Dir(zupy) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + s.dir,
		"ZUPY_CONFIG_DIR=" + cfgDir,
		"XDG_CONFIG_HOME=" + filepath.Join(s.dir, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(s.dir, ".local", "share"),
		"XDG_STATE_HOME=" + filepath.Join(s.dir, ".local", "state"),
		"ZUPY_BASE_URL=" + s.base,
		"TERM=dumb",
	}
	return s
}

// login logs the demo partner in by e-mail and returns the session token.
func (s *Sandbox) login(ctx context.Context) string {
	ch, err := s.client.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail})
	if err != nil {
		s.t.Fatal(err)
	}
	login, err := s.client.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: s.lastCode(ctx)})
	if err != nil {
		s.t.Fatal(err)
	}
	s.session = login.SessionToken
	// Past the resend cooldown, so that an example may ask for a code.
	if _, err := s.client.AdvanceClock(ctx, 61); err != nil {
		s.t.Fatal(err)
	}
	return login.SessionToken
}

func (s *Sandbox) lastCode(ctx context.Context) string {
	box, err := s.client.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		s.t.Fatalf("outbox: %v", err)
	}
	return box.Messages[len(box.Messages)-1].Code
}

// exampleScopes are the scopes of the keys examples get.
var exampleScopes = []string{"loyalty:read", "coupons:validate", "coupons:redeem", "keys:rotate"}

// newKey creates a key of the demo partner with scopes and returns it with
// its secret.
func (s *Sandbox) newKey(ctx context.Context, name string, scopes ...string) *api.Key {
	limit := 2000
	k, err := s.client.CreateKey(ctx, s.session, api.CreateKeyRequest{Name: name, Permissions: scopes, Environment: "production", RateLimit: &limit})
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// Run runs the block's lines one after the other in one bash process (so an
// export carries on), stopping at the first that exits non-zero; the error
// names that line and shows its output. Background jobs are stopped at the
// end.
func (s *Sandbox) Run(ctx context.Context, b Block) error {
	if len(b.Lines) == 0 {
		return nil
	}
	env := append([]string{}, s.env...)
	var script strings.Builder
	script.WriteString("trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n")
	text := strings.Join(b.Lines, "\n")
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
		ch, err := s.client.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail})
		if err != nil {
			return err
		}
		if _, err := s.client.AdvanceClock(ctx, 61); err != nil {
			return err
		}
		env = append(env, "ID="+ch.VerificationID)
	}
	for i, line := range b.Lines {
		if strings.Contains(line, KeyPlaceholder) {
			k := s.newKey(ctx, "Example", exampleScopes...)
			if err := credentials.SaveKey(ctx, s.store, config.DefaultProfile, k.KeyID, k.APIKey); err != nil {
				return err
			}
			line = strings.ReplaceAll(line, KeyPlaceholder, k.KeyID)
		}
		fmt.Fprintf(&script, "printf '%%s\\n' %s >&2\n%s\nrc=$?\nif [ $rc -ne 0 ]; then echo \"examplerun: line %d exited $rc\" >&2; exit 100; fi\n",
			shellQuote("$ "+b.Lines[i]), line, i+1)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = work
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", b.Source, err, redact(out.String()))
	}
	return nil
}

var secretPattern = regexp.MustCompile(`zup_(?:live|test)_sk_[A-Za-z0-9]+|zup_sess_[A-Za-z0-9]+`)

// redact masks the secrets in output shown on failure.
func redact(s string) string { return secretPattern.ReplaceAllString(s, "[secret]") }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
