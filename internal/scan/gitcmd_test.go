package scan

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hostileRepo is a repository whose author planted, in its .git/config,
// .gitattributes and hooks, every setting through which git runs a command,
// each pointing at a script that leaves a marker file named after it.
type hostileRepo struct {
	dir   string
	marks string            // folder the scripts leave their markers in
	keys  map[string]string // file name -> the key committed in it
}

// git runs the test's own git, unhardened, in the repository.
func (h *hostileRepo) git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", h.dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// script writes an executable that leaves the marker name and fails.
func (h *hostileRepo) script(t *testing.T, dir, name string) string {
	t.Helper()
	return h.scriptMarking(t, dir, name, name)
}

// scriptMarking writes the executable dir/name that leaves the marker
// marker and fails.
func (h *hostileRepo) scriptMarking(t *testing.T, dir, name, marker string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	body := "#!/bin/sh\ntouch '" + filepath.Join(h.marks, marker) + "'\nexit 1\n"
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fired lists the markers left, and removes them.
func (h *hostileRepo) fired(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(h.marks)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		os.Remove(filepath.Join(h.marks, e.Name()))
	}
	return names
}

// signedCommit writes a commit of the index whose header carries a
// signature in the armour of one format (openpgp, ssh or x509), so that a
// log showing signatures runs that format's program on it.
func (h *hostileRepo) signedCommit(t *testing.T, armour, msg string) {
	t.Helper()
	tree := h.git(t, "write-tree")
	parent := h.git(t, "rev-parse", "HEAD")
	body := "tree " + tree + "\nparent " + parent +
		"\nauthor Scan Test <scan@example.com> 1700000000 +0000\ncommitter Scan Test <scan@example.com> 1700000000 +0000\n" +
		"gpgsig -----BEGIN " + armour + "-----\n \n AAAA\n -----END " + armour + "-----\n\n" + msg + "\n"
	f := filepath.Join(t.TempDir(), "commit")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	id := h.git(t, "hash-object", "-t", "commit", "-w", f)
	h.git(t, "update-ref", "HEAD", id)
}

func newHostileRepo(t *testing.T) *hostileRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	root := t.TempDir()
	h := &hostileRepo{dir: filepath.Join(root, "repo"), marks: filepath.Join(root, "marks"), keys: map[string]string{}}
	scripts := filepath.Join(root, "scripts")
	hooks := filepath.Join(root, "hooks")
	for _, d := range []string{h.marks, scripts, hooks} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "init", "-q", h.dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	h.git(t, "config", "user.name", "Scan Test")
	h.git(t, "config", "user.email", "scan@example.com")
	h.git(t, "config", "commit.gpgsign", "false")
	add := func(name, key string) {
		h.keys[name] = key
		if err := os.WriteFile(filepath.Join(h.dir, name), []byte("KEY="+key+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		h.git(t, "add", name)
	}
	// Fixtures built at run time: no well-formed key in this file.
	add("plain.env", "zup_live_sk_"+strings.Repeat("Pl4", 8))
	add("lost.txt", "not a secret, and about to go missing")
	delete(h.keys, "lost.txt")
	h.git(t, "commit", "-qm", "plain")
	for _, s := range []struct{ file, armour string }{
		{"pgp.env", "PGP SIGNATURE"},
		{"ssh.env", "SSH SIGNATURE"},
		{"x509.env", "SIGNED MESSAGE"},
	} {
		add(s.file, "zup_test_sk_"+strings.Repeat(strings.ToUpper(s.file[:1])+"q7", 8))
		h.signedCommit(t, s.armour, "signed "+s.file)
	}
	h.git(t, "reset", "-q", "--hard")
	// A partial clone: one blob left on the "server", whose remote is a
	// command (ext::), fetched lazily when a command asks for it.
	lost := h.git(t, "rev-parse", "HEAD:lost.txt")
	if err := os.Remove(filepath.Join(h.dir, ".git", "objects", lost[:2], lost[2:])); err != nil {
		t.Fatal(err)
	}

	// Every hook, in .git/hooks and in a core.hooksPath folder.
	for _, hook := range []string{"pre-commit", "post-checkout", "post-index-change", "reference-transaction",
		"post-rewrite", "pre-auto-gc", "fsmonitor-watchman", "post-merge", "pre-push"} {
		h.script(t, hooks, hook)
		h.scriptMarking(t, filepath.Join(h.dir, ".git", "hooks"), hook, "dot-git-hooks-"+hook)
	}
	attrs := "* diff=evil filter=evil merge=evil\n"
	if err := os.WriteFile(filepath.Join(h.dir, ".git", "info", "attributes"), []byte(attrs), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"core.fsmonitor", h.script(t, scripts, "core.fsmonitor")},
		{"core.hooksPath", hooks},
		{"core.pager", h.script(t, scripts, "core.pager")},
		{"pager.log", h.script(t, scripts, "pager.log")},
		{"pager.ls-files", h.script(t, scripts, "pager.ls-files")},
		{"log.showSignature", "true"},
		{"gpg.program", h.script(t, scripts, "gpg.program")},
		{"gpg.openpgp.program", h.script(t, scripts, "gpg.openpgp.program")},
		{"gpg.x509.program", h.script(t, scripts, "gpg.x509.program")},
		{"gpg.ssh.program", h.script(t, scripts, "gpg.ssh.program")},
		{"gpg.ssh.allowedSignersFile", filepath.Join(h.dir, ".git", "config")},
		{"gpg.ssh.defaultKeyCommand", h.script(t, scripts, "gpg.ssh.defaultKeyCommand")},
		{"diff.external", h.script(t, scripts, "diff.external")},
		{"diff.evil.textconv", h.script(t, scripts, "diff.evil.textconv")},
		{"diff.evil.command", h.script(t, scripts, "diff.evil.command")},
		{"filter.evil.clean", h.script(t, scripts, "filter.evil.clean")},
		{"filter.evil.smudge", h.script(t, scripts, "filter.evil.smudge")},
		{"filter.evil.process", h.script(t, scripts, "filter.evil.process")},
		{"merge.evil.driver", h.script(t, scripts, "merge.evil.driver")},
		{"core.editor", h.script(t, scripts, "core.editor")},
		{"sequence.editor", h.script(t, scripts, "sequence.editor")},
		{"core.sshCommand", h.script(t, scripts, "core.sshCommand")},
		{"core.askPass", h.script(t, scripts, "core.askPass")},
		{"credential.helper", h.script(t, scripts, "credential.helper")},
		{"core.alternateRefsCommand", h.script(t, scripts, "core.alternateRefsCommand")},
		{"uploadpack.packObjectsHook", h.script(t, scripts, "uploadpack.packObjectsHook")},
		{"core.repositoryFormatVersion", "1"},
		{"extensions.partialClone", "origin"},
		{"remote.origin.promisor", "true"},
		{"remote.origin.url", "ext::" + h.script(t, scripts, "remote.ext")},
		{"protocol.ext.allow", "always"},
		{"protocol.allow", "always"},
	} {
		h.git(t, "config", kv[0], kv[1])
	}
	return h
}

// The hostile repository is armed: plain git runs its fsmonitor on
// ls-files, its gpg.program on a log, its remote when an object is missing.
// Without this check a git that ignored a setting would make the test below
// pass for the wrong reason.
func TestHostileRepositoryIsArmed(t *testing.T) {
	h := newHostileRepo(t)
	_ = exec.Command("git", "-C", h.dir, "ls-files").Run()
	// One log a commit: a signature program that exits before reading its
	// input can end a single log of every commit by SIGPIPE before the
	// next commit's program runs.
	for _, c := range strings.Fields(h.git(t, "rev-list", "HEAD")) {
		_ = exec.Command("git", "-C", h.dir, "log", "-1", c).Run()
	}
	_ = exec.Command("git", "-C", h.dir, "cat-file", "-p", "HEAD:lost.txt").Run()
	fired := h.fired(t)
	for _, want := range []string{"core.fsmonitor", "gpg.openpgp.program", "gpg.ssh.program", "gpg.x509.program", "remote.ext"} {
		if !slices.Contains(fired, want) {
			t.Errorf("plain git did not run %s (ran %v): the plant does not work on this git", want, fired)
		}
	}
}

// A scanned folder or repository runs nothing: neither a folder scan (git
// ls-files) nor a history scan (rev-list, cat-file, log --find-object)
// runs any of the planted commands, and both still find the keys
// (docs/security-model.md, "A scanned folder or repository").
func TestScanRunsNothingFromTheScannedRepository(t *testing.T) {
	h := newHostileRepo(t)
	ctx := context.Background()

	found, _, err := ScanPaths(ctx, []string{h.dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ran := h.fired(t); len(ran) > 0 {
		t.Errorf("a folder scan ran %v", ran)
	}
	h.checkFound(t, "folder scan", found, h.dir+"/")

	var warned []string
	found, st, err := ScanHistory(ctx, h.dir, Options{Warn: func(err error) { warned = append(warned, err.Error()) }})
	if err != nil {
		t.Fatal(err)
	}
	if ran := h.fired(t); len(ran) > 0 {
		t.Errorf("a history scan ran %v", ran)
	}
	h.checkFound(t, "history scan", found, "")
	if st.Unreadable != 1 || len(warned) != 1 || !strings.Contains(warned[0], "1 object of the history missing") {
		t.Errorf("the blob left on the remote: %d unreadable, warnings %q; want 1 and one warning", st.Unreadable, warned)
	}
}

func (h *hostileRepo) checkFound(t *testing.T, mode string, found []Finding, prefix string) {
	t.Helper()
	got := map[string]string{}
	for _, f := range found {
		got[strings.TrimPrefix(f.Path, prefix)] = f.Secret.Reveal()
	}
	for file, key := range h.keys {
		if got[file] != key {
			t.Errorf("%s: the key in %s was not found (found %v)", mode, file, found)
		}
	}
}

// Every git zupy starts goes through gitCommand: no other file of the
// packages the zupy binary is built from names the git command to os/exec.
// (Test tooling, such as the runner of the docs' examples, may.)
func TestGitRunsOnlyThroughTheHardenedHelper(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{end}}", "../../cmd/zupy").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	helper, err := filepath.Abs("gitcmd.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	read := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, name := range fields[1:] {
			p := filepath.Join(fields[0], name)
			if p == helper {
				continue
			}
			file, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			read++
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Command" && sel.Sel.Name != "CommandContext" {
					return true
				}
				for _, a := range call.Args {
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if v, _ := strconv.Unquote(lit.Value); v == "git" {
							t.Errorf("%s: runs git directly; use the hardened gitCommand of internal/scan/gitcmd.go", fset.Position(call.Pos()))
						}
					}
				}
				return true
			})
		}
	}
	if read < 50 {
		t.Fatalf("read %d files of zupy's packages: go list found too few", read)
	}
}

// A scan started from a git hook, where git has set GIT_DIR and
// GIT_INDEX_FILE for its own repository, still reads the folder it was
// given: the variables that locate a repository are not passed on.
func TestScanIgnoresTheRepositoryOfTheCallingHook(t *testing.T) {
	if !haveGit() {
		t.Skip("git is not installed")
	}
	mk := func(key string) string {
		dir := t.TempDir()
		for _, args := range [][]string{{"init", "-q"}, {"config", "user.email", "t@example.com"}, {"config", "user.name", "t"}} {
			if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("KEY="+key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"add", "app.env"}, {"commit", "-qm", "k"}} {
			if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		return dir
	}
	hookKey := "zup_test_sk_" + strings.Repeat("H", 20)
	scannedKey := "zup_test_sk_" + strings.Repeat("S", 20)
	hookRepo, scanned := mk(hookKey), mk(scannedKey)
	t.Setenv("GIT_DIR", filepath.Join(hookRepo, ".git"))
	t.Setenv("GIT_INDEX_FILE", filepath.Join(hookRepo, ".git", "index"))
	t.Setenv("GIT_WORK_TREE", hookRepo)

	for mode, scan := range map[string]func() ([]Finding, error){
		"folder": func() ([]Finding, error) {
			f, _, err := ScanPaths(context.Background(), []string{scanned}, Options{})
			return f, err
		},
		"history": func() ([]Finding, error) {
			f, _, err := ScanHistory(context.Background(), scanned, Options{})
			return f, err
		},
	} {
		found, err := scan()
		if err != nil {
			t.Fatalf("%s scan: %v", mode, err)
		}
		if len(found) != 1 || found[0].Secret.Reveal() != scannedKey {
			var got []string
			for _, f := range found {
				got = append(got, f.Secret.String())
			}
			t.Errorf("%s scan found %v; want only the scanned folder's key", mode, got)
		}
	}
}
