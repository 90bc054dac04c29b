package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/fileperm"
)

// TestFileStoreRefusesAFileOfAnotherUser sees the credentials file through
// the eyes of another uid (the tests run as root, who owns every file they
// make): a file that is not the user's is refused, its hint the chown that
// fixes it, and nothing is read or written.
func TestFileStoreRefusesAFileOfAnotherUser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix owners on Windows")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zupy", FileName)
	must(t, NewFile(path).Set(ctx, "default/session", "zup_sess_x"))
	owner := fileOwner(t, path)
	s := &fileStore{path: path, syncFile: (*os.File).Sync, trust: fileperm.Checker{UID: func() int { return owner + 4242 }}}
	_, err := s.Get(ctx, "default/session")
	var untrusted *fileperm.Error
	if !errors.As(err, &untrusted) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not to you") ||
		!strings.HasPrefix(untrusted.Hint(), "Run `sudo chown ") || !strings.HasSuffix(untrusted.Hint(), " "+path+"`") {
		t.Fatalf("Get of another user's file: %v; want a refusal whose hint is the chown", err)
	}
	if err := s.Set(ctx, "work/session", "zup_sess_y"); !errors.As(err, &untrusted) {
		t.Fatalf("Set into another user's file: %v, want the refusal", err)
	}
	// The same file, seen by its owner, is fine.
	s.trust = fileperm.Checker{UID: func() int { return owner }}
	if _, err := s.Get(ctx, "default/session"); err != nil {
		t.Fatalf("Get by the owner: %v", err)
	}
}

// TestFileStoreRefusesAFolderOthersCanWriteUnlessSticky checks the folder
// of the credentials file on the real file system: writable by others, it
// is refused (chmod go-w); sticky, like /tmp, it is fine while the file
// itself passes.
func TestFileStoreRefusesAFolderOthersCanWriteUnlessSticky(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	ctx := context.Background()
	s, path := newFileStore(t)
	must(t, s.Set(ctx, "default/session", "zup_sess_x"))
	dir := filepath.Dir(path)
	for _, tc := range []struct {
		mode   os.FileMode
		refuse bool
	}{
		{0o700, false}, {0o770, true}, {0o777, true}, {0o757, true}, {0o755, false},
		{0o777 | os.ModeSticky, false},
	} {
		must(t, os.Chmod(dir, tc.mode))
		_, err := s.Get(ctx, "default/session")
		var untrusted *fileperm.Error
		switch {
		case tc.refuse && (!errors.As(err, &untrusted) || untrusted.Hint() != "Run `chmod go-w "+dir+"`"):
			t.Errorf("folder mode %v: %v; want a refusal with the chmod", tc.mode, err)
		case !tc.refuse && err != nil:
			t.Errorf("folder mode %v: %v", tc.mode, err)
		}
	}
	must(t, os.Chmod(dir, 0o700))
}

func fileOwner(t *testing.T, path string) int {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	uid, ok := fileperm.Owner(info)
	if !ok {
		t.Skip("owner unknown on this platform")
	}
	return uid
}
