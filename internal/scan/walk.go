package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Options tune a scan.
type Options struct {
	// Exclude holds patterns in .gitignore syntax; a path (relative to the
	// root it was found under) matching one is not read.
	Exclude []string
	// Workers is how many files are read at once; 0 means one per CPU.
	Workers int
	// Warn receives the files that could not be read; nil drops them.
	// Secrets in the paths the messages name are masked.
	Warn func(error)
}

// warn passes err, masked, to Warn.
func (o Options) warn(err error) {
	if o.Warn != nil {
		o.Warn(maskError(err))
	}
}

// ValidateExclude checks an --exclude pattern.
func ValidateExclude(pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return errors.New("pattern is empty")
	}
	if _, err := filepath.Match(strings.ReplaceAll(pattern, "**", "*"), ""); err != nil {
		return fmt.Errorf("%q is not a valid pattern: %w", pattern, err)
	}
	return nil
}

// Stats counts what a scan read and skipped.
type Stats struct {
	Files      int   // files (or blobs) read
	Bytes      int64 // bytes read
	Binary     int   // skipped: binary
	Large      int   // skipped: over MaxFileSize
	Unreadable int   // skipped: could not be read (reported through Warn)
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.Binary += o.Binary
	s.Large += o.Large
	s.Unreadable += o.Unreadable
}

// excluder matches paths against the --exclude patterns.
type excluder struct{ m gitignore.Matcher }

func newExcluder(patterns []string) excluder {
	if len(patterns) == 0 {
		return excluder{}
	}
	ps := make([]gitignore.Pattern, len(patterns))
	for i, p := range patterns {
		ps[i] = gitignore.ParsePattern(p, nil)
	}
	return excluder{gitignore.NewMatcher(ps)}
}

// excluded reports whether the slash-separated path rel, or a folder above
// it, matches a pattern.
func (e excluder) excluded(rel string, isDir bool) bool {
	if e.m == nil {
		return false
	}
	parts := strings.Split(rel, "/")
	for i := 1; i <= len(parts); i++ {
		if e.m.Match(parts[:i], i < len(parts) || isDir) {
			return true
		}
	}
	return false
}

// file is one file to read: the path shown and the slash-separated path
// relative to its root, which --exclude patterns are matched against.
type file struct {
	path string
	rel  string
}

// ScanPaths scans files and folders. Folders are walked as git sees them:
// inside a git work tree, the files `git ls-files -co --exclude-standard`
// lists (tracked, and untracked but not ignored); elsewhere every file not
// ignored by a .gitignore on the way down. Binary files, files over
// MaxFileSize, symbolic links and the .git folder are skipped. A file named
// on the command line is read unless excluded. Files are read in parallel.
func ScanPaths(ctx context.Context, paths []string, opts Options) ([]Finding, Stats, error) {
	findings, st, err := scanPaths(ctx, paths, opts)
	return findings, st, maskError(err)
}

func scanPaths(ctx context.Context, paths []string, opts Options) ([]Finding, Stats, error) {
	ex := newExcluder(opts.Exclude)
	files := make(chan file, 256)
	var walkErr error
	var named []string // paths that may hold a secret in a name
	go func() {
		defer close(files)
		// A file reached through two arguments (src and src/a.go) is
		// read once.
		seen := map[string]bool{}
		cwd, _ := os.Getwd()
		found := make(chan file, 256)
		go func() {
			defer close(found)
			for _, p := range paths {
				if err := walkRoot(ctx, p, ex, found); err != nil {
					walkErr = err
					return
				}
			}
		}()
		for f := range found {
			abs := f.path
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(cwd, abs)
			}
			if !seen[abs] {
				seen[abs] = true
				if strings.Contains(f.path, "zup_") {
					named = append(named, filepath.ToSlash(f.path))
				}
				files <- f
			}
		}
	}()
	findings, stats := readFiles(ctx, files, opts)
	if walkErr != nil {
		return nil, stats, walkErr
	}
	if err := ctx.Err(); err != nil {
		return nil, stats, err
	}
	findings = withPathFindings(findings, named, nil)
	Sort(findings)
	return findings, stats, nil
}

// readFiles reads the files sent on files with one worker per CPU.
func readFiles(ctx context.Context, files <-chan file, opts Options) ([]Finding, Stats) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu       sync.Mutex
		findings []Finding
		stats    Stats
		wg       sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			buf := make([]byte, chunkSize)
			var local []Finding
			var st Stats
			for f := range files {
				if ctx.Err() != nil {
					continue // drain
				}
				var err error
				buf, err = scanFile(f, buf, &st, func(h hit) {
					local = append(local, newFinding(f.path, h))
				})
				if err != nil {
					st.Unreadable++
					opts.warn(err)
				}
				if cap(buf) > chunkSize {
					buf = make([]byte, chunkSize) // do not keep a grown buffer
				}
			}
			mu.Lock()
			findings = append(findings, local...)
			stats.add(st)
			mu.Unlock()
		})
	}
	wg.Wait()
	return findings, stats
}

// scanFile reads one file. A file that vanished since it was listed (git
// lists deleted tracked files) is not an error.
func scanFile(f file, buf []byte, st *Stats, fn func(hit)) ([]byte, error) {
	// Only regular files are read: opening a FIFO would wait for a writer.
	// One named on the command line is said, as one that cannot be opened.
	if info, err := os.Stat(f.path); err == nil && !info.Mode().IsRegular() {
		return buf, fmt.Errorf("skip %s: not a regular file", f.path)
	}
	fd, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return buf, nil
	}
	if err != nil {
		return buf, err
	}
	defer fd.Close()
	info, err := fd.Stat()
	if err != nil {
		return buf, err
	}
	if !info.Mode().IsRegular() {
		return buf, nil
	}
	if info.Size() > MaxFileSize {
		st.Large++
		return buf, nil
	}
	buf, binary, err := scanStream(fd, buf, true, fn)
	if err != nil {
		return buf, fmt.Errorf("read %s: %w", f.path, err)
	}
	if binary {
		st.Binary++
		return buf, nil
	}
	st.Files++
	st.Bytes += info.Size()
	return buf, nil
}

// walkRoot sends the files of one command-line path.
func walkRoot(ctx context.Context, root string, ex excluder, out chan<- file) error {
	info, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if !ex.excluded(filepath.ToSlash(filepath.Base(root)), false) {
			return send(ctx, out, file{path: root, rel: filepath.Base(root)})
		}
		return nil
	}
	if list, ok := gitFiles(ctx, root); ok {
		return sendGitFiles(ctx, root, list, ex, out)
	}
	return walkIgnoring(ctx, root, ex, out)
}

func send(ctx context.Context, out chan<- file, f file) error {
	select {
	case out <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gitFiles returns git's list of the files under dir when dir is in a git
// work tree and git is installed: tracked files, and untracked files that
// no .gitignore, .git/info/exclude or core.excludesFile ignores.
func gitFiles(ctx context.Context, dir string) (io.ReadCloser, bool) {
	if !haveGit() {
		return nil, false
	}
	inside, err := gitCommand(ctx, dir, "rev-parse", "--is-inside-work-tree").Output()
	if err != nil || strings.TrimSpace(string(inside)) != "true" {
		return nil, false
	}
	cmd := gitCommand(ctx, dir, "ls-files", "-co", "--exclude-standard", "-z")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, false
	}
	return &cmdReader{ReadCloser: stdout, name: "git ls-files", cmd: cmd, stderr: &stderr}, true
}

// cmdReader is a command's stdout whose Close waits for the command.
type cmdReader struct {
	io.ReadCloser
	name   string // what the command is called in an error
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func (c *cmdReader) Close() error {
	_, _ = io.Copy(io.Discard, c.ReadCloser)
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w: %s", c.name, err, strings.TrimSpace(c.stderr.String()))
	}
	return nil
}

func sendGitFiles(ctx context.Context, root string, list io.ReadCloser, ex excluder, out chan<- file) error {
	r := bufio.NewReader(list)
	for {
		rel, err := r.ReadString(0)
		if err == io.EOF {
			break
		}
		if err != nil {
			list.Close()
			return err
		}
		rel = strings.TrimSuffix(rel, "\x00")
		if ex.excluded(rel, false) {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(rel))
		// Symbolic links are stored by git as their target's name; a
		// submodule is a folder. Neither is read.
		info, err := os.Lstat(p)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := send(ctx, out, file{path: p, rel: rel}); err != nil {
			list.Close()
			return err
		}
	}
	return list.Close()
}

// ignoreLevel is a folder on the way down and the .gitignore patterns in
// force in it: its parents' and its own, lowest priority first.
type ignoreLevel struct {
	dir     string
	matcher gitignore.Matcher // nil when no pattern applies
	all     []gitignore.Pattern
}

// walkIgnoring walks root outside git, honouring the .gitignore files met
// on the way down with go-git's matcher.
func walkIgnoring(ctx context.Context, root string, ex excluder, out chan<- file) error {
	root = filepath.Clean(root)
	var stack []ignoreLevel
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable folder below: skip it
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		for len(stack) > 0 && !within(p, stack[len(stack)-1].dir) {
			stack = stack[:len(stack)-1]
		}
		var parts []string
		if rel != "." {
			parts = strings.Split(rel, "/")
		}
		var cur ignoreLevel
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		if d.IsDir() {
			if rel != "." {
				if d.Name() == ".git" || cur.ignores(parts, true) || ex.excluded(rel, true) {
					return filepath.SkipDir
				}
			}
			own, err := readGitignore(filepath.Join(p, ".gitignore"), parts)
			if err != nil {
				return err
			}
			next := ignoreLevel{dir: p, matcher: cur.matcher, all: cur.all}
			if len(own) > 0 {
				next.all = append(slices.Clip(cur.all), own...)
				next.matcher = gitignore.NewMatcher(next.all)
			}
			stack = append(stack, next)
			return nil
		}
		if !d.Type().IsRegular() || cur.ignores(parts, false) || ex.excluded(rel, false) {
			return nil
		}
		return send(ctx, out, file{path: p, rel: rel})
	})
}

func (l ignoreLevel) ignores(path []string, isDir bool) bool {
	return l.matcher != nil && l.matcher.Match(path, isDir)
}

func within(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// readGitignore reads the patterns of one .gitignore file, as go-git reads
// them: every line that is neither blank nor a comment, scoped to domain.
func readGitignore(name string, domain []string) ([]gitignore.Pattern, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ps []gitignore.Pattern
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps, nil
}
