package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zupy/zupy-cli/internal/fileperm"
)

// TestLoadRefusesAConfigOthersCanWrite sets modes on real files: a
// config.yaml or folder that group or others may write is refused (exit 1
// in the CLI) with the chmod that fixes it; a sticky shared folder (like
// /tmp) is fine as long as the file itself passes.
func TestLoadRefusesAConfigOthersCanWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	for _, tc := range []struct {
		name          string
		dir, file     os.FileMode
		refused, hint string // refused: "folder", "file" or ""
	}{
		{"private", 0o700, 0o600, "", ""},
		{"readable by all", 0o755, 0o644, "", ""},
		{"file 0666", 0o700, 0o666, "file", "chmod go-w"},
		{"file group-writable", 0o700, 0o620, "file", "chmod go-w"},
		{"file other-writable", 0o700, 0o602, "file", "chmod go-w"},
		{"folder 0777", 0o777, 0o600, "folder", "chmod go-w"},
		{"folder group-writable", 0o770, 0o600, "folder", "chmod go-w"},
		{"sticky shared folder", 0o777 | os.ModeSticky, 0o600, "", ""},
		{"sticky folder, file 0666", 0o777 | os.ModeSticky, 0o666, "file", "chmod go-w"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "zupy dir")
			path := filepath.Join(dir, "config.yaml")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("version: 1\nprofiles:\n  default:\n    base_url: https://api.zupy.com/v1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.file); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
			_, err := Load(path)
			var untrusted *fileperm.Error
			switch tc.refused {
			case "":
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
			case "folder", "file":
				want := map[string]string{"folder": dir, "file": path}[tc.refused]
				if !errors.As(err, &untrusted) || untrusted.Path != want || untrusted.What != "config "+tc.refused {
					t.Fatalf("Load: %v; want the %s refused", err, tc.refused)
				}
				if got := untrusted.Hint(); got != "Run `"+tc.hint+" '"+want+"'`" {
					t.Errorf("hint %q, want the %s of %s", got, tc.hint, want)
				}
				if !strings.Contains(err.Error(), "point base_url") {
					t.Errorf("error %q does not say what is at stake", err)
				}
			}
		})
	}
}

// TestLoadRefusesAConfigOfAnotherUser checks owners through an injected
// uid (the tests run as root, who owns every file they make): a config.yaml
// that is not the user's is refused with the chown that fixes it; a folder
// is fine when it is the user's or root's, and refused when it is another
// user's (who could replace the file), which the test makes real with
// chown where it runs as root.
func TestLoadRefusesAConfigOfAnotherUser(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix owners on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	owner, ok := fileperm.Owner(info)
	if !ok {
		t.Skip("owner unknown")
	}
	defer func(c fileperm.Checker) { trust = c }(trust)

	trust = fileperm.Checker{UID: func() int { return owner + 4242 }}
	_, err := Load(path)
	var untrusted *fileperm.Error
	if !errors.As(err, &untrusted) || untrusted.Path != path || !strings.Contains(err.Error(), "not to you") ||
		!strings.HasPrefix(untrusted.Hint(), "Run `sudo chown ") || !strings.HasSuffix(untrusted.Hint(), " "+path+"`") {
		t.Fatalf("Load of another user's file: %v; want a refusal with the chown", err)
	}

	trust = fileperm.Checker{UID: func() int { return owner }}
	if _, err := Load(path); err != nil {
		t.Fatalf("Load by the owner: %v", err)
	}

	if os.Getuid() != 0 {
		return
	}
	// A folder of another (non-root) user: refused, though the file is ours.
	if err := os.Chown(dir, 4243, 4243); err != nil {
		t.Fatal(err)
	}
	trust = fileperm.Checker{}
	_, err = Load(path)
	if !errors.As(err, &untrusted) || untrusted.Path != dir || untrusted.Hint() != "Run `sudo chown root "+dir+"`" {
		t.Fatalf("Load in another user's folder: %v; want the folder refused", err)
	}
}
