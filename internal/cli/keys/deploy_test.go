package keys

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

const (
	testNewSecret = "zup_test_sk_newnewnewnewnewnew12" // zupy:allow
	testOldSecret = "zup_test_sk_oldoldoldoldoldold12" // zupy:allow
)

func TestRewriteDotenvKeepsEveryOtherByte(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"bare", "A=1\nZUPY_API_KEY=old\nB=2\n", "A=1\nZUPY_API_KEY=NEW\nB=2\n"},
		{"double quotes and a comment", "ZUPY_API_KEY=\"old\" # the key\n", "ZUPY_API_KEY=\"NEW\" # the key\n"},
		{"single quotes", "ZUPY_API_KEY='old'\n", "ZUPY_API_KEY='NEW'\n"},
		{"export and spaces", "  export ZUPY_API_KEY = old\n", "  export ZUPY_API_KEY = NEW\n"},
		{"bare value, comment after", "ZUPY_API_KEY=old # note\n", "ZUPY_API_KEY=NEW # note\n"},
		{"CRLF endings", "A=1\r\nZUPY_API_KEY=old\r\nB=2\r\n", "A=1\r\nZUPY_API_KEY=NEW\r\nB=2\r\n"},
		{"CRLF, quoted", "ZUPY_API_KEY=\"old\"\r\n", "ZUPY_API_KEY=\"NEW\"\r\n"},
		{"no final newline", "A=1\nZUPY_API_KEY=old", "A=1\nZUPY_API_KEY=NEW"},
		{"empty value", "ZUPY_API_KEY=\nB=2\n", "ZUPY_API_KEY=NEW\nB=2\n"},
		{"unterminated quote", "ZUPY_API_KEY=\"old\n", "ZUPY_API_KEY=\"NEW\"\n"},
		{"a longer name and a comment are not the variable",
			"ZUPY_API_KEY_OLD=x\n# ZUPY_API_KEY=y\nMY_ZUPY_API_KEY=z\nZUPY_API_KEY=old\n",
			"ZUPY_API_KEY_OLD=x\n# ZUPY_API_KEY=y\nMY_ZUPY_API_KEY=z\nZUPY_API_KEY=NEW\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, n := rewriteDotenv([]byte(c.in), "ZUPY_API_KEY", "NEW")
			if string(got) != c.want || n != 1 {
				t.Errorf("rewriteDotenv(%q) = %q, %d lines; want %q, 1 line", c.in, got, n, c.want)
			}
			if v, ok := dotenvValue(got, "ZUPY_API_KEY"); !ok || v != "NEW" {
				t.Errorf("dotenvValue of the result = %q, %v; want NEW", v, ok)
			}
		})
	}
	if got, n := rewriteDotenv([]byte("A=1\nB=2"), "ZUPY_API_KEY", "NEW"); n != 0 || string(got) != "A=1\nB=2" {
		t.Errorf("no such line: %q, %d; want the content unchanged, 0", got, n)
	}
}

func writeEnv(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

func TestDotenvDeployReplacesTheFileAtomicallyKeepingItsMode(t *testing.T) {
	dir := t.TempDir()
	before := "# app\nZUPY_API_KEY=" + testOldSecret + "\nOTHER=1"
	p := writeEnv(t, dir, ".env", before, 0o640)
	fiBefore, _ := os.Stat(p)
	f, err := openDotenv(deployTarget{Path: p, Var: defaultDeployVar}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.deploy(testNewSecret); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if want := "# app\nZUPY_API_KEY=" + testNewSecret + "\nOTHER=1"; string(got) != want {
		t.Errorf("after deploy: %q, want %q", got, want)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %#o, want 0640 as before", fi.Mode().Perm())
	}
	// Replaced by a rename (a new inode), not rewritten in place: a reader
	// sees the old file or the new one, never half of one.
	if os.SameFile(fi, fiBefore) {
		t.Error("the file was written in place, not replaced by a rename")
	}
	st, st0 := fi.Sys().(*syscall.Stat_t), fiBefore.Sys().(*syscall.Stat_t)
	if st.Uid != st0.Uid || st.Gid != st0.Gid {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, st0.Uid, st0.Gid)
	}
	if v, ok := f.value(); !ok || v != testNewSecret {
		t.Errorf("value() = %q, %v", v, ok)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left beside it: %v", entries)
	}
	if err := f.restore(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != before {
		t.Errorf("after restore: %q, want %q", got, before)
	}
}

func TestDotenvRefusesASymlinkUnlessFollowed(t *testing.T) {
	dir := t.TempDir()
	real := writeEnv(t, dir, "real.env", "ZUPY_API_KEY=old\n", 0o600)
	link := filepath.Join(dir, "link.env")
	if err := os.Symlink("real.env", link); err != nil {
		t.Fatal(err)
	}
	tgt := deployTarget{Path: link, Var: defaultDeployVar}
	_, err := openDotenv(tgt, false)
	if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Fatalf("symlink without --follow-symlinks: %v; want a usage error naming the link", err)
	}
	f, err := openDotenv(tgt, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.deploy(testNewSecret); err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", li, err)
	}
	if got, _ := os.ReadFile(real); string(got) != "ZUPY_API_KEY="+testNewSecret+"\n" {
		t.Errorf("the link's target holds %q", got)
	}
}

func TestDotenvRefusesWhatItCannotRewrite(t *testing.T) {
	dir := t.TempDir()
	p := writeEnv(t, dir, ".env", "OTHER=1\n", 0o600)
	for _, c := range []struct {
		t    deployTarget
		want string
	}{
		{deployTarget{Path: p, Var: "ZUPY_API_KEY"}, "has no ZUPY_API_KEY= line"},
		{deployTarget{Path: filepath.Join(dir, "missing"), Var: "X"}, "no such file or directory"},
		{deployTarget{Path: dir, Var: "X"}, "is not a regular file"},
	} {
		_, err := openDotenv(c.t, false)
		if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("openDotenv(%s) = %v; want a usage error with %q", c.t, err, c.want)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != "OTHER=1\n" {
		t.Errorf("the file changed: %q", got)
	}
}

func TestDeployFileFlagSplitsTheVariable(t *testing.T) {
	var list []deployTarget
	f := targetsFlag{list: &list, file: true}
	for _, v := range []string{".env", "app/.env:API_KEY", "c:/x.env", "a:b.env:K"} {
		if err := f.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	want := []deployTarget{{Path: ".env", Var: "ZUPY_API_KEY"}, {Path: "app/.env", Var: "API_KEY"},
		{Path: "c:/x.env", Var: "ZUPY_API_KEY"}, {Path: "a:b.env", Var: "K"}}
	if !slices.Equal(list, want) {
		t.Errorf("targets = %+v, want %+v", list, want)
	}
	if err := f.Set(""); err == nil {
		t.Error("an empty path was accepted")
	}
}

func TestMaskWriterMasksASecretSplitAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	m := newMaskWriter(&out, "  ", testNewSecret, testOldSecret)
	text := "new " + testNewSecret + "\nold " + testOldSecret + " end"
	for i := 0; i < len(text); i += 7 { // every secret crosses a write
		m.Write([]byte(text[i:min(i+7, len(text))]))
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "  new " + secretMask + "\n  old " + secretMask + " end\n"; out.String() != want {
		t.Errorf("masked output %q, want %q", out.String(), want)
	}
	// A prefix of a secret that turns out not to be one is written as it is.
	out.Reset()
	m = newMaskWriter(&out, "", testNewSecret)
	m.Write([]byte("zup_test_"))
	m.Write([]byte("x\n"))
	m.Flush()
	if out.String() != "zup_test_x\n" {
		t.Errorf("output %q", out.String())
	}
}

func TestDeployEnvDropsZupysCredentials(t *testing.T) {
	base := []string{"PATH=/bin", "ZUPY_SESSION_TOKEN=s", "ZUPY_API_KEY=" + testOldSecret, "ZUPY_NEW_KEY_ID=stale", "MYKEY=stale"}
	env := deployEnv(base, "key_new", "key_old", "production", "", testNewSecret)
	for _, kv := range env {
		if strings.HasPrefix(kv, "ZUPY_SESSION_TOKEN=") || strings.HasPrefix(kv, "ZUPY_API_KEY=") || strings.Contains(kv, testNewSecret) {
			t.Errorf("deploy environment holds %q", kv)
		}
	}
	for _, want := range []string{"PATH=/bin", "ZUPY_NEW_KEY_ID=key_new", "ZUPY_OLD_KEY_ID=key_old", "ZUPY_KEY_ENVIRONMENT=production"} {
		if !slices.Contains(env, want) {
			t.Errorf("deploy environment lacks %q: %v", want, env)
		}
	}
	// --deploy-env wins over the removal, and replaces a stale value.
	env = deployEnv(base, "key_new", "key_old", "production", "ZUPY_API_KEY", testNewSecret)
	if !slices.Contains(env, "ZUPY_API_KEY="+testNewSecret) || slices.Contains(env, "ZUPY_API_KEY="+testOldSecret) {
		t.Errorf("--deploy-env ZUPY_API_KEY: %v", env)
	}
	if !expandsVar(`curl -H "X-Key: $MYKEY"`, "MYKEY") || !expandsVar("echo ${MYKEY:-x}", "MYKEY") || expandsVar("echo $MYKEYS", "MYKEY") {
		t.Error("expandsVar")
	}
}

func TestDeployCommandGetsTheSecretOnStdinAndIsKilledAtTheTimeout(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	var out bytes.Buffer
	err := runDeployCommand(context.Background(), "cat > '"+got+"'; echo done; exit 0", testNewSecret, []string{"PATH=" + os.Getenv("PATH")}, &out, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); string(b) != testNewSecret || out.String() != "done\n" {
		t.Errorf("stdin %q, output %q", b, out.String())
	}
	err = runDeployCommand(context.Background(), "exit 3", "", nil, &out, time.Minute)
	if err == nil || err.Error() != "exited with status 3" {
		t.Errorf("exit 3: %v", err)
	}
	// A command that outlives --deploy-timeout is killed with its children
	// (a background sleep that holds the output open too).
	err = runDeployCommand(context.Background(), "sleep 60 & sleep 60", "", []string{"PATH=" + os.Getenv("PATH")}, &out, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out after") {
		t.Errorf("timeout: %v", err)
	}
}
