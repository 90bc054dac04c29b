package root_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/zupy/zupy-cli/internal/apikey"
)

// cmdEnvFile is the script command `envfile VAR FILE`: it sets VAR to the
// trimmed contents of FILE, so that a secret a script captured (the code from
// `zupy emulator otp`, the token from `zupy auth token`) can be looked for in
// later output with `! stderr $VAR`, without ever being written in the script.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! envfile")
	}
	if len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	v := strings.TrimSpace(ts.ReadFile(args[1]))
	if v == "" {
		ts.Fatalf("envfile: %s is empty", args[1])
	}
	ts.Setenv(args[0], v)
}

// secretShape matches an API key or a session token as the generators make
// them (docs/security-model.md).
var secretShape = regexp.MustCompile(`zup_(?:live|test)_sk_[A-Za-z0-9]{20,}|zup_sess_[A-Za-z0-9]{40}`)

// realSecrets returns the secret-shaped strings of text that could be real.
// Scripts carry well-formed fixtures to test validation
// (zup_live_sk_AAAAAAAAAAAAAAAAAAAA, zup_sess_0123456789…): hand-written // zupy:allow
// values with a run of 6 repeated or ascending characters. Such a run in a
// value drawn from crypto/rand over base62 has odds of about one in a
// million, so a pasted real secret is not excused by it.
func realSecrets(text string) []string {
	var found []string
	for _, m := range secretShape.FindAllString(text, -1) {
		random := m[strings.LastIndexByte(m, '_')+1:]
		if !handWritten(random) {
			found = append(found, m)
		}
	}
	return found
}

func handWritten(s string) bool {
	run := 1
	for i := 1; i < len(s); i++ {
		if d := int(s[i]) - int(s[i-1]); d == 0 || d == 1 {
			run++
			if run >= 6 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

// TestNoSecretsInGoldenFiles fails when a script, a doc or a generated
// completion script holds something shaped like a real API key or session
// token: golden files are written from real runs, and a secret that lands in
// one is published with the repository.
func TestNoSecretsInGoldenFiles(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	dirs := []string{"testdata", filepath.Join(root, "docs"), filepath.Join(root, "completions")}
	files := []string{filepath.Join(root, "README.md")}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	scanned := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		for _, s := range realSecrets(string(data)) {
			t.Errorf("%s holds something shaped like a real secret: %s…", path, s[:strings.LastIndexByte(s, '_')+5])
		}
	}
	if scanned == 0 {
		t.Fatal("no file scanned: the test does not look where the golden files are")
	}
}

// TestSecretDetector proves the check above: freshly generated secrets are
// caught, the scripts' hand-written fixtures and masked forms are not.
func TestSecretDetector(t *testing.T) {
	for range 200 {
		live, err := apikey.Generate(apikey.Production)
		if err != nil {
			t.Fatal(err)
		}
		test, err := apikey.Generate(apikey.Staging)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := apikey.GenerateSessionToken()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{live, test, sess} {
			if got := realSecrets("key: " + s + "\n"); len(got) != 1 || got[0] != s {
				t.Fatalf("a generated secret was not caught: %q", got)
			}
		}
	}
	for _, s := range []string{
		"zup_live_sk_AAAAAAAAAAAAAAAAAAAA",                  // zupy:allow
		"zup_live_sk_0123456789abcdefghij",                  // zupy:allow
		"zup_sess_0123456789012345678901234567890123456789", // zupy:allow
		"zup_sess_fromtheenvironment",
		"zup_live_sk_…9i0j",
		"zup_live_sk_short",
	} {
		if got := realSecrets(s); len(got) != 0 {
			t.Errorf("%s flagged as a real secret", s)
		}
	}
}

// cmdWriteFile is the script command `writefile FILE TEXT...`: it writes the
// arguments (joined by spaces, then a newline) to FILE from the test process
// itself, so a secret put in a file for `stdin` never becomes the argument
// of a child process as `exec echo` would make it.
func cmdWriteFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: writefile FILE TEXT...")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Join(args[1:], " ")+"\n"), 0o600))
}
