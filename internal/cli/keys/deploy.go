package keys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
)

// A deploy target of `keys rotate` (docs/rotation.md): a command that reads
// the new secret on its stdin, or a dotenv file whose VAR= line zupy
// rewrites itself. Targets run in the order they were given.
type deployTarget struct {
	Cmd  string // --deploy
	Path string // --deploy-file
	Var  string // the variable of --deploy-file, default ZUPY_API_KEY
}

// defaultDeployVar is the variable --deploy-file rewrites when PATH has no :VAR.
const defaultDeployVar = "ZUPY_API_KEY"

// String names the target in messages: never a secret (the command text is
// the user's own).
func (t deployTarget) String() string {
	if t.Path != "" {
		return fmt.Sprintf("file %s (%s)", t.Path, t.Var)
	}
	return fmt.Sprintf("command %q", t.Cmd)
}

// isFile reports whether zupy writes the target itself.
func (t deployTarget) isFile() bool { return t.Path != "" }

// targetsFlag collects --deploy and --deploy-file into one ordered list.
type targetsFlag struct {
	list *[]deployTarget
	file bool
}

func (f targetsFlag) String() string { return "" }
func (f targetsFlag) Type() string {
	if f.file {
		return "PATH[:VAR]"
	}
	return "CMD"
}

func (f targetsFlag) Set(v string) error {
	if !f.file {
		if strings.TrimSpace(v) == "" {
			return errors.New("empty command")
		}
		*f.list = append(*f.list, deployTarget{Cmd: v})
		return nil
	}
	path, name := v, defaultDeployVar
	if i := strings.LastIndexByte(v, ':'); i > 0 && envName.MatchString(v[i+1:]) {
		path, name = v[:i], v[i+1:]
	}
	if path == "" {
		return errors.New("empty path")
	}
	*f.list = append(*f.list, deployTarget{Path: path, Var: name})
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandsVar reports whether the shell text cmd expands $name or ${name…}.
func expandsVar(cmd, name string) bool {
	re := regexp.MustCompile(`\$(` + regexp.QuoteMeta(name) + `\b|\{` + regexp.QuoteMeta(name) + `[}:#%/^,-])`)
	return re.MatchString(cmd)
}

// deployEnv is the environment of a deploy command: zupy's own, without
// its credentials (ZUPY_SESSION_TOKEN, ZUPY_API_KEY), with the key ids, and
// with the secret only under secretVar when that is set (it wins over the
// removal).
func deployEnv(base []string, newID, oldID, environment, secretVar, secret string) []string {
	drop := map[string]bool{"ZUPY_SESSION_TOKEN": true, "ZUPY_API_KEY": true, "ZUPY_NEW_KEY_ID": true,
		"ZUPY_OLD_KEY_ID": true, "ZUPY_KEY_ENVIRONMENT": true}
	if secretVar != "" {
		drop[secretVar] = true
	}
	env := make([]string, 0, len(base)+4)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			env = append(env, kv)
		}
	}
	env = append(env, "ZUPY_NEW_KEY_ID="+newID, "ZUPY_OLD_KEY_ID="+oldID, "ZUPY_KEY_ENVIRONMENT="+environment)
	if secretVar != "" {
		env = append(env, secretVar+"="+secret)
	}
	return env
}

// runDeployCommand runs cmd under sh -c with the secret on its stdin (no
// newline after it), its output (stdout and stderr, as they come) written
// to out, bounded by timeout: at the end of it the command's whole process
// group is killed.
func runDeployCommand(ctx context.Context, cmdText string, secret string, env []string, out io.Writer, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmdText)
	c.Env = env
	c.Stdin = strings.NewReader(secret)
	c.Stdout, c.Stderr = out, out
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second // a grandchild holding the output open does not hold zupy
	err := c.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s (--deploy-timeout); its processes were killed", durText(timeout))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("exited with status %d", exit.ExitCode())
	}
	return err
}

// maskWriter writes what passes through it to w with every occurrence of
// a secret replaced by a mask, each line indented; a secret split across
// two writes is still masked, because the bytes that may begin one are held
// back until the next write (or Flush) decides.
type maskWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets [][]byte
	indent  string
	pending []byte
	bol     bool // at the beginning of a line
}

const secretMask = "••••••••"

func newMaskWriter(w io.Writer, indent string, secrets ...string) *maskWriter {
	m := &maskWriter{w: w, indent: indent, bol: true}
	for _, s := range secrets {
		if s != "" {
			m.secrets = append(m.secrets, []byte(s))
		}
	}
	return m
}

func (m *maskWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = append(m.pending, p...)
	for _, s := range m.secrets {
		m.pending = bytes.ReplaceAll(m.pending, s, []byte(secretMask))
	}
	keep := 0 // the longest tail that may begin a secret
	for _, s := range m.secrets {
		for n := min(len(s)-1, len(m.pending)); n > keep; n-- {
			if bytes.HasPrefix(s, m.pending[len(m.pending)-n:]) {
				keep = n
				break
			}
		}
	}
	out := m.pending[:len(m.pending)-keep]
	if err := m.emit(out); err != nil {
		return 0, err
	}
	m.pending = append(m.pending[:0], m.pending[len(out):]...)
	return len(p), nil
}

// Flush writes what was held back, ending an unterminated last line.
func (m *maskWriter) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.emit(m.pending)
	m.pending = m.pending[:0]
	if err == nil && !m.bol {
		_, err = io.WriteString(m.w, "\n")
		m.bol = true
	}
	return err
}

func (m *maskWriter) emit(b []byte) error {
	var out bytes.Buffer
	for len(b) > 0 {
		if m.bol {
			out.WriteString(m.indent)
			m.bol = false
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out.Write(b)
			break
		}
		out.Write(b[:i+1])
		b = b[i+1:]
		m.bol = true
	}
	_, err := m.w.Write(out.Bytes())
	return err
}

// dotenvFile is a --deploy-file target read before anything is sent: where
// it is written (a symlink's target with --follow-symlinks), and its
// content before this run, kept in memory only, to restore on failure.
type dotenvFile struct {
	Target deployTarget
	Real   string // the path written
	Before []byte
	mode   fs.FileMode
	uid    int
	gid    int
}

// openDotenv checks a --deploy-file target: a regular file (a symlink only
// with --follow-symlinks), holding a VAR= line (a missing line is refused,
// docs/rotation.md: a misspelt VAR must not add a line that nothing reads).
func openDotenv(t deployTarget, followSymlinks bool) (*dotenvFile, error) {
	li, err := os.Lstat(t.Path)
	if err != nil {
		return nil, cmdutil.Usagef("--deploy-file %s: %v", t.Path, unwrapPathErr(err))
	}
	real := t.Path
	if li.Mode()&fs.ModeSymlink != 0 {
		if !followSymlinks {
			return nil, usageHint("Name the file the link points to, or add --follow-symlinks to write through it",
				"--deploy-file %s is a symbolic link: refusing to replace it", t.Path)
		}
		if real, err = filepath.EvalSymlinks(t.Path); err != nil {
			return nil, cmdutil.Usagef("--deploy-file %s: %v", t.Path, unwrapPathErr(err))
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, cmdutil.Usagef("--deploy-file %s: %v", t.Path, unwrapPathErr(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, cmdutil.Usagef("--deploy-file %s is not a regular file", t.Path)
	}
	before, err := os.ReadFile(real)
	if err != nil {
		return nil, cmdutil.Usagef("--deploy-file %s: %v", t.Path, unwrapPathErr(err))
	}
	if _, n := rewriteDotenv(before, t.Var, "x"); n == 0 {
		return nil, usageHint(fmt.Sprintf("Add a line `%s=` to %s first: zupy rewrites a variable, it never adds one (docs/rotation.md)", t.Var, t.Path),
			"--deploy-file %s has no %s= line", t.Path, t.Var)
	}
	d := &dotenvFile{Target: t, Real: real, Before: before, mode: fi.Mode().Perm(), uid: -1, gid: -1}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		d.uid, d.gid = int(st.Uid), int(st.Gid)
	}
	return d, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dotenvLine matches an assignment line: optional export, the name, =.
var dotenvLine = regexp.MustCompile(`^([ \t]*(?:export[ \t]+)?)([A-Za-z_][A-Za-z0-9_]*)([ \t]*=[ \t]*)`)

// rewriteDotenv replaces the value of every name= line of content with
// value, in the line's own quoting ("…", '…' or bare), keeping every other
// byte: other lines, a comment after the value, CRLF endings, a missing
// final newline. n is the number of lines rewritten.
func rewriteDotenv(content []byte, name, value string) ([]byte, int) {
	var out bytes.Buffer
	n := 0
	for rest := content; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		m := dotenvLine.FindSubmatchIndex(line)
		if m == nil || string(line[m[4]:m[5]]) != name {
			out.Write(line)
			continue
		}
		n++
		head, tail := line[:m[1]], line[m[1]:]
		out.Write(head)
		switch q := firstByte(tail); q {
		case '"', '\'':
			end := bytes.IndexByte(tail[1:], q)
			if end < 0 { // unterminated: the value runs to the end of the line
				end = len(bytes.TrimRight(tail[1:], "\r\n"))
			}
			out.WriteByte(q)
			out.WriteString(value)
			out.WriteByte(q)
			if 1+end < len(tail) && tail[1+end] == q {
				end++
			}
			out.Write(tail[1+end:])
		default:
			end := bytes.IndexAny(tail, " \t\r\n#")
			if end < 0 {
				end = len(tail)
			}
			out.WriteString(value)
			out.Write(tail[end:])
		}
	}
	return out.Bytes(), n
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// write replaces the file with content atomically: a temporary file beside
// it (created 0600), written, synced, given the original's mode and owner,
// then renamed over it, and the folder synced.
func (d *dotenvFile) write(content []byte) error {
	dir, base := filepath.Split(d.Real)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".zupy-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(content); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(d.mode); err != nil {
		return err
	}
	if d.uid >= 0 && (d.uid != os.Getuid() || d.gid != os.Getgid()) {
		if err := tmp.Chown(d.uid, d.gid); err != nil {
			return fmt.Errorf("give the new file the owner of %s: %w", d.Real, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), d.Real); err != nil {
		return err
	}
	done = true
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
	return nil
}

// deploy writes secret into the file's VAR= lines.
func (d *dotenvFile) deploy(secret string) error {
	content, _ := rewriteDotenv(d.Before, d.Target.Var, secret)
	return d.write(content)
}

// restore puts the content from before this run back.
func (d *dotenvFile) restore() error { return d.write(d.Before) }

// holds reports whether the file's VAR= line holds secret now.
func (d *dotenvFile) value() (string, bool) {
	content, err := os.ReadFile(d.Real)
	if err != nil {
		return "", false
	}
	return dotenvValue(content, d.Target.Var)
}

// dotenvValue is the value of the last name= line of content, unquoted.
func dotenvValue(content []byte, name string) (string, bool) {
	val, ok := "", false
	for _, line := range strings.Split(string(content), "\n") {
		m := dotenvLine.FindStringSubmatchIndex(line)
		if m == nil || line[m[4]:m[5]] != name {
			continue
		}
		v := strings.TrimRight(line[m[1]:], "\r")
		if q := firstByte([]byte(v)); q == '"' || q == '\'' {
			if end := strings.IndexByte(v[1:], q); end >= 0 {
				v = v[1 : 1+end]
			} else {
				v = v[1:]
			}
		} else if end := strings.IndexAny(v, " \t#"); end >= 0 {
			v = v[:end]
		}
		val, ok = v, true
	}
	return val, ok
}
