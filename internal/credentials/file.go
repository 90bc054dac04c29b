package credentials

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/zupy/zupy-cli/internal/fileperm"
)

// FileName is the name of the file store inside the config directory.
const FileName = "credentials.yaml"

// maxFileSize bounds what the file store reads; a real file is a few KiB.
const maxFileSize = 1 << 20

// NewFile returns the Store that keeps secrets in the YAML file at path
// (normally <config dir>/credentials.yaml):
//
//   - The file is created with mode 0600 and its directory, when this store
//     creates it, with mode 0700.
//   - Writes are atomic: a temporary file in the same directory is written,
//     synced and renamed over path, so a reader sees the old or the new file,
//     never a partial one.
//   - Writers take an exclusive lock on path+".lock" (flock on Unix,
//     LockFileEx on Windows) around read-modify-write, so concurrent
//     processes do not lose each other's entries. The lock file stays.
//   - A file that group or others may access, or that is not the user's, is
//     refused, like OpenSSH refuses such a private key, with an error whose
//     hint is the chmod or chown that fixes it: its secrets may already be
//     exposed, and silently tightening it would hide that. So is a folder
//     other users may write in, unless it is sticky
//     (docs/security-model.md#the-config-folder).
//   - Deleting the last entry removes the file.
//   - The file at path is replaced, not written through: a symbolic link
//     there becomes a regular file.
func NewFile(path string) Store {
	return &fileStore{path: path, syncFile: (*os.File).Sync}
}

type fileStore struct {
	path     string
	syncFile func(*os.File) error // replaced by tests to fail a write midway
	trust    fileperm.Checker     // tests replace its UID
}

// credentialsRisk is why an exposed or foreign credentials file is refused.
const credentialsRisk = "the secrets in it may be exposed, or be another user's"

// fileContents is the YAML document.
type fileContents struct {
	Version     int               `yaml:"version"`
	Credentials map[string]string `yaml:"credentials"`
}

const fileVersion = 1

const fileHeader = "# zupy credentials: session tokens and API keys in clear text.\n" +
	"# Written by zupy (credential_store: file). Keep this file private (mode 0600).\n"

func (f *fileStore) Location() string { return f.path }

func (f *fileStore) Get(ctx context.Context, account string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := m[account]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (f *fileStore) Set(ctx context.Context, account, secret string) error {
	if err := checkSecret(secret); err != nil {
		return err
	}
	return f.updateEntry(ctx, account, func(string, bool) (string, bool, error) {
		return secret, true, nil
	})
}

func (f *fileStore) Delete(ctx context.Context, account string) error {
	if _, err := os.Lstat(f.path); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing to delete; do not create the directory or lock file
	}
	return f.updateEntry(ctx, account, func(string, bool) (string, bool, error) {
		return "", false, nil
	})
}

// updateEntry replaces account's entry by what fn returns (keep=false
// deletes it), reading and writing the file under the lock.
func (f *fileStore) updateEntry(ctx context.Context, account string, fn func(old string, found bool) (value string, keep bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	unlock, err := lockFile(ctx, f.path+".lock")
	if err != nil {
		return fmt.Errorf("credentials file %s: lock: %w", f.path, err)
	}
	defer unlock()

	m, err := f.load()
	if err != nil {
		return err
	}
	old, found := m[account]
	value, keep, err := fn(old, found)
	if err != nil {
		return err
	}
	switch {
	case keep && found && value == old, !keep && !found:
		return nil // unchanged: do not rewrite
	case keep:
		m[account] = value
	default:
		delete(m, account)
	}
	if len(m) == 0 {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("credentials file %s: %w", f.path, err)
		}
		return syncDir(dir)
	}
	return f.write(m)
}

// checkTrusted refuses a file or folder another user could have written
// or may read (docs/security-model.md#the-config-folder).
func (f *fileStore) checkTrusted() error {
	err := f.trust.Folder("config folder", filepath.Dir(f.path), credentialsRisk)
	if err == nil {
		err = f.trust.File("credentials file", f.path, 0o077, "600", credentialsRisk)
	}
	var untrusted *fileperm.Error
	if err != nil && !errors.As(err, &untrusted) {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	return err
}

// load reads the file; a missing or empty file is an empty store.
func (f *fileStore) load() (map[string]string, error) {
	if err := f.checkTrusted(); err != nil {
		return nil, err
	}
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("credentials file %s is not a regular file", f.path)
	}
	data, err := io.ReadAll(io.LimitReader(file, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("credentials file %s is larger than %d bytes", f.path, maxFileSize)
	}
	return parseFile(f.path, data)
}

func parseFile(path string, data []byte) (map[string]string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]string{}, nil
	}
	var c fileContents
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("credentials file %s is not valid: %s; fix or remove it", path, sanitizeYAMLError(err))
	}
	if c.Version != fileVersion {
		return nil, fmt.Errorf("credentials file %s has version %d; this zupy reads version %d", path, c.Version, fileVersion)
	}
	if c.Credentials == nil {
		c.Credentials = map[string]string{}
	}
	return c.Credentials, nil
}

// quotedValue matches the `value` yaml quotes in type errors: it may be a
// secret, so it never reaches an error message.
// It is compiled on first use, not at start-up.
var quotedValue = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`[^`]*`") })

func sanitizeYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = quotedValue().ReplaceAllString(msg, "a value")
	return strings.Join(strings.Fields(msg), " ")
}

// write replaces the file atomically by a new one holding m.
func (f *fileStore) write(m map[string]string) (err error) {
	body, err := yaml.Marshal(fileContents{Version: fileVersion, Credentials: m})
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if _, err = tmp.WriteString(fileHeader); err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if _, err = tmp.Write(body); err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if err = f.syncFile(tmp); err != nil {
		return fmt.Errorf("credentials file %s: sync: %w", f.path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	if err = replaceFile(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("credentials file %s: %w", f.path, err)
	}
	return syncDir(dir)
}
