// Package fileperm decides whether zupy may trust a file or folder that
// another local user could have written: config.yaml picks the URL a saved
// key is sent to, and credentials.yaml holds the secrets themselves
// (docs/security-model.md#the-config-folder).
package fileperm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"strings"
)

// Checker checks owners and modes. The zero value checks the real files
// for the user zupy runs as; tests replace UID to see a file as someone
// else's.
type Checker struct {
	// UID is the user zupy runs as; nil means os.Getuid.
	UID func() int
	// Stat reads a file's mode and owner; nil means os.Stat.
	Stat func(string) (fs.FileInfo, error)
}

// Error is a file or folder zupy refuses to use. Hint is the command that
// fixes it.
type Error struct {
	What    string // "config file", "config folder", "credentials file"
	Path    string
	Problem string // what is wrong, e.g. "is writable by other users (mode 0666)"
	Risk    string // what another user could do with it
	Fix     string // the command that fixes it
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s %s: %s; refusing to use it", e.What, e.Path, e.Problem, e.Risk)
}

// Hint names the command that makes the file or folder safe.
func (e *Error) Hint() string { return "Run `" + e.Fix + "`" }

// Folder checks the folder dir: it must be owned by the user or by root,
// and not writable by group or others unless it is sticky (like /tmp, where
// nobody may replace another's files; the files inside must then pass on
// their own). A missing folder passes.
func (c Checker) Folder(what, dir, risk string) error {
	info, ok, err := c.stat(dir)
	if !ok {
		return err
	}
	if owner, known := Owner(info); known && owner != c.uid() && owner != 0 {
		return &Error{What: what, Path: dir, Risk: risk,
			Problem: fmt.Sprintf("belongs to %s, not to you (%s)", userName(owner), userName(c.uid())),
			Fix:     "sudo chown " + userName(c.uid()) + " " + Quote(dir)}
	}
	if info.Mode()&fs.ModeSticky == 0 && info.Mode().Perm()&0o022 != 0 {
		return &Error{What: what, Path: dir, Risk: risk,
			Problem: fmt.Sprintf("is writable by other users (mode %04o)", info.Mode().Perm()),
			Fix:     "chmod go-w " + Quote(dir)}
	}
	return nil
}

// File checks the file at path: it must be owned by the user and have none
// of the permission bits in forbid (0o022: no writing by group or others;
// 0o077: no access at all). fix is the chmod mode that repairs it ("go-w",
// "600"). A missing file passes.
func (c Checker) File(what, path string, forbid fs.FileMode, fix, risk string) error {
	info, ok, err := c.stat(path)
	if !ok {
		return err
	}
	if owner, known := Owner(info); known && owner != c.uid() {
		return &Error{What: what, Path: path, Risk: risk,
			Problem: fmt.Sprintf("belongs to %s, not to you (%s)", userName(owner), userName(c.uid())),
			Fix:     "sudo chown " + userName(c.uid()) + " " + Quote(path)}
	}
	if perm := info.Mode().Perm(); perm&forbid != 0 {
		problem := "is writable by other users"
		if forbid&0o044 != 0 && perm&0o044 != 0 {
			problem = "is accessible by other users"
		}
		return &Error{What: what, Path: path, Risk: risk,
			Problem: fmt.Sprintf("%s (mode %04o)", problem, perm),
			Fix:     "chmod " + fix + " " + Quote(path)}
	}
	return nil
}

// stat reads path; ok is false when there is nothing to check (a missing
// path, or Windows, whose permissions are not Unix modes), with err set
// when it could not be read.
func (c Checker) stat(path string) (fs.FileInfo, bool, error) {
	if runtime.GOOS == "windows" {
		return nil, false, nil
	}
	stat := c.Stat
	if stat == nil {
		stat = os.Stat
	}
	info, err := stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return info, true, nil
}

func (c Checker) uid() int {
	if c.UID != nil {
		return c.UID()
	}
	return os.Getuid()
}

// userName is the login name of uid, or the number when it has none.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// Quote quotes path for a POSIX shell when it needs it, so a hint can be
// pasted as it is.
func Quote(path string) string {
	if path != "" && strings.IndexFunc(path, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}) < 0 {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
