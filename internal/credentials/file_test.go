package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/fileperm"
)

func newFileStore(t *testing.T) (Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "zupy", FileName)
	return NewFile(path), path
}

func TestFileStoreCreatesPrivateFileAndDirectory(t *testing.T) {
	s, path := newFileStore(t)
	if err := s.Set(context.Background(), "default/session", "zup_sess_abc"); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %04o, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("directory mode = %04o, want 0700", di.Mode().Perm())
	}
	if s.Location() != path {
		t.Errorf("Location = %q, want %q", s.Location(), path)
	}
}

func TestFileStoreRoundTripsAwkwardSecrets(t *testing.T) {
	s, path := newFileStore(t)
	ctx := context.Background()
	secrets := map[string]string{
		"a/session":   "zup_sess_abc: def # not a comment",
		"b/session":   "  leading and trailing  ",
		"c/session":   "yes",
		"d/session":   "null",
		"e/session":   "line1\nline2",
		"f/session":   "'\"quotes\"'",
		"g/key/k_1":   "zup_live_sk_ÄÖÜ😀",
		"h/keys":      `[{"key_id":"k_1","key_hint":"zup_live_sk_…abcd"}]`,
		"i/session":   "0123",
		"j/session":   "- dash",
		"k/session":   "{flow}",
		"l/session":   "~",
		"m:n/session": "colon in account",
	}
	for a, v := range secrets {
		if err := s.Set(ctx, a, v); err != nil {
			t.Fatal(err)
		}
	}
	fresh := NewFile(path)
	for a, want := range secrets {
		got, err := fresh.Get(ctx, a)
		if err != nil || got != want {
			t.Errorf("Get(%q) = %q, %v; want %q", a, got, err, want)
		}
	}
}

func TestFileStoreMissingEntryIsErrNotFoundAndCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	s := NewFile(filepath.Join(dir, "zupy", FileName))
	ctx := context.Background()
	if _, err := s.Get(ctx, "default/session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get without a file: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "default/session"); err != nil {
		t.Fatalf("Delete without a file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("Get/Delete created %v", entries)
	}
}

func TestFileStoreDeleteOfAbsentEntryIsNilAndKeepsOthers(t *testing.T) {
	s, path := newFileStore(t)
	ctx := context.Background()
	if err := s.Set(ctx, "default/session", "zup_sess_abc"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := s.Delete(ctx, "other/session"); err != nil {
		t.Fatalf("Delete of an absent entry: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatalf("deleting an absent entry rewrote the file:\n%s\n---\n%s", before, after)
	}
}

func TestFileStoreDeletingTheLastEntryRemovesTheFile(t *testing.T) {
	s, path := newFileStore(t)
	ctx := context.Background()
	must(t, s.Set(ctx, "default/session", "zup_sess_abc"))
	must(t, s.Set(ctx, "work/session", "zup_sess_def"))
	must(t, s.Delete(ctx, "default/session"))
	if got, err := s.Get(ctx, "work/session"); err != nil || got != "zup_sess_def" {
		t.Fatalf("the other entry: %q, %v", got, err)
	}
	must(t, s.Delete(ctx, "work/session"))
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there after its last entry went: %v", err)
	}
}

func TestFileStoreRefusesAFileOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	s, path := newFileStore(t)
	ctx := context.Background()
	const secret = "zup_sess_SECRETsecretSECRETsecret"
	must(t, s.Set(ctx, "default/session", secret))
	must(t, os.Chmod(path, 0o644))
	_, err := s.Get(ctx, "default/session")
	var untrusted *fileperm.Error
	if !errors.As(err, &untrusted) || !strings.Contains(err.Error(), path) || untrusted.Hint() != "Run `chmod 600 "+path+"`" {
		t.Fatalf("Get of a 0644 file: %v; want a refusal naming the file and the fix", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("error shows the secret: %v", err)
	}
	if err := s.Set(ctx, "work/session", "zup_sess_x"); err == nil {
		t.Fatal("Set into a 0644 file succeeded")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Fatalf("the refused file was changed: mode %04o", fi.Mode().Perm())
	}
}

func TestFileStoreCorruptFileIsAClearErrorNamingThePath(t *testing.T) {
	const secret = "zup_sess_SECRETsecretSECRETsecret"
	for name, content := range map[string]string{
		"syntax":        "version: 1\ncredentials: [\n",
		"type":          "version: " + secret + "\ncredentials: {}\n",
		"value type":    "version: 1\ncredentials:\n  default/session: [" + secret + "]\n",
		"unknown field": "version: 1\nsecret: " + secret + "\n",
		"version":       "version: 7\ncredentials: {}\n",
		"no version":    "credentials:\n  default/session: " + secret + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, path := newFileStore(t)
			must(t, os.MkdirAll(filepath.Dir(path), 0o700))
			must(t, os.WriteFile(path, []byte(content), 0o600))
			_, err := s.Get(context.Background(), "default/session")
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want an error naming %s", err, path)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("error shows file content: %v", err)
			}
			if err := s.Set(context.Background(), "default/session", "zup_sess_new"); err == nil {
				t.Fatal("Set over a corrupt file succeeded: it would have thrown its entries away")
			}
		})
	}
}

func TestFileStoreEmptyFileIsAnEmptyStore(t *testing.T) {
	s, path := newFileStore(t)
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	must(t, os.WriteFile(path, []byte("\n"), 0o600))
	if _, err := s.Get(context.Background(), "default/session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func TestFileStoreFailedWriteLeavesTheOldFileIntact(t *testing.T) {
	s, path := newFileStore(t)
	ctx := context.Background()
	must(t, s.Set(ctx, "default/session", "zup_sess_old"))
	before, _ := os.ReadFile(path)

	s.(*fileStore).syncFile = func(*os.File) error { return errors.New("disk full") }
	if err := s.Set(ctx, "work/session", "zup_sess_new"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Set with a failing sync: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatalf("a failed write changed the file:\n%s\n---\n%s", before, after)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{FileName, FileName + ".lock"}; !slices.Equal(names, want) {
		t.Fatalf("directory holds %v, want %v: a temporary file was left behind", names, want)
	}
}

func TestFileStoreReadersNeverSeeAPartialFile(t *testing.T) {
	s, path := newFileStore(t)
	ctx := context.Background()
	must(t, s.Set(ctx, "default/session", "zup_sess_stable"))
	big := strings.Repeat("x", 16<<10)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Set(ctx, "work/session", fmt.Sprintf("zup_sess_%d_%s", i, big)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	reader := NewFile(path)
	for range 200 {
		got, err := reader.Get(ctx, "default/session")
		if err != nil || got != "zup_sess_stable" {
			t.Errorf("a reader saw %q, %v while another process wrote", got, err)
			break
		}
	}
	close(stop)
	wg.Wait()
}

func TestFileStoreConcurrentWritersKeepEveryEntry(t *testing.T) {
	for name, stores := range map[string]func(path string) func(i int) Store{
		"one store, many goroutines": func(path string) func(int) Store {
			s := NewFile(path)
			return func(int) Store { return s }
		},
		"a store per goroutine": func(path string) func(int) Store {
			return func(int) Store { return NewFile(path) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zupy", FileName)
			storeFor := stores(path)
			const writers, each = 8, 10
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := storeFor(w)
					for i := range each {
						if err := s.Set(context.Background(), fmt.Sprintf("p%d/key/k%d", w, i), fmt.Sprintf("zup_live_sk_%d_%d", w, i)); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			assertEntries(t, path, "p", writers, each)
		})
	}
}

// TestFileStoreConcurrentProcessesKeepEveryEntry runs writers in separate
// processes (this test binary, re-executed), which only the file lock
// serialises.
func TestFileStoreConcurrentProcessesKeepEveryEntry(t *testing.T) {
	if path := os.Getenv("ZUPY_TEST_FILE_WRITER_PATH"); path != "" {
		writeEntriesForParent(t, path, os.Getenv("ZUPY_TEST_FILE_WRITER_PREFIX"))
		return
	}
	path := filepath.Join(t.TempDir(), "zupy", FileName)
	const procs = 3
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileStoreConcurrentProcessesKeepEveryEntry$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ZUPY_TEST_FILE_WRITER_PATH="+path, "ZUPY_TEST_FILE_WRITER_PREFIX=proc"+strconv.Itoa(p))
		cmds = append(cmds, cmd)
	}
	var outs = make([][]byte, procs)
	var errs = make([]error, procs)
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i], errs[i] = cmd.CombinedOutput() }()
	}
	// And writers in this process too, at the same time.
	writeEntriesForParent(t, path, "self")
	wg.Wait()
	for i := range cmds {
		if errs[i] != nil {
			t.Fatalf("writer process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	s := NewFile(path)
	for p := range procs {
		for i := range processEntries {
			if _, err := s.Get(context.Background(), fmt.Sprintf("proc%d/key/k%d", p, i)); err != nil {
				t.Errorf("entry %d of process %d: %v", i, p, err)
			}
		}
	}
	for i := range processEntries {
		if _, err := s.Get(context.Background(), fmt.Sprintf("self/key/k%d", i)); err != nil {
			t.Errorf("entry %d of this process: %v", i, err)
		}
	}
}

const processEntries = 25

func writeEntriesForParent(t *testing.T, path, prefix string) {
	s := NewFile(path)
	for i := range processEntries {
		if err := s.Set(context.Background(), fmt.Sprintf("%s/key/k%d", prefix, i), "zup_live_sk_"+prefix+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFileStoreLockWaitHonoursContext(t *testing.T) {
	s, path := newFileStore(t)
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	unlock, err := lockFile(context.Background(), path+".lock")
	must(t, err)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Set(ctx, "default/session", "zup_sess_x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Set while another writer holds the lock: %v, want the context's deadline", err)
	}
}

func assertEntries(t *testing.T, path, prefix string, writers, each int) {
	t.Helper()
	s := NewFile(path)
	for w := range writers {
		for i := range each {
			want := fmt.Sprintf("zup_live_sk_%d_%d", w, i)
			if got, err := s.Get(context.Background(), fmt.Sprintf("%s%d/key/k%d", prefix, w, i)); err != nil || got != want {
				t.Errorf("entry %d/%d = %q, %v; want %q", w, i, got, err, want)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
