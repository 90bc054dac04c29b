package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/zupy/zupy-cli/internal/fileperm"
)

// rotationNote is the local note of a rotation in flight,
// $XDG_STATE_HOME/zupy/rotations/<successor>.json (docs/rotation.md#resume):
// which deploy targets were done, by a fingerprint of each, and the
// successor's request count before the deploy. It holds no secret; the
// server, not the note, says which rotation is in flight, so a lost note
// only means the targets are deployed again.
type rotationNote struct {
	Successor   string   `json:"successor"`
	Predecessor string   `json:"predecessor"`
	BaseURL     string   `json:"base_url"`
	Done        []string `json:"targets_done"`
	Baseline    *int64   `json:"baseline_requests,omitempty"`

	path string
}

// noteRisk is what another user could do with a note they could write.
const noteRisk = "another local user could mark deploy targets as done"

// rotationsDir checks the folder of the notes, as the config folder is
// checked (docs/security-model.md#the-config-folder).
func rotationsDir(stateDir string) (string, error) {
	dir := filepath.Join(stateDir, "rotations")
	if err := (fileperm.Checker{}).Folder("rotation state folder", dir, noteRisk); err != nil {
		return "", err
	}
	return dir, nil
}

// loadNote reads the note of successor, or a new one when there is none.
func loadNote(stateDir, successor, predecessor, baseURL string) (*rotationNote, error) {
	dir, err := rotationsDir(stateDir)
	if err != nil {
		return nil, err
	}
	n := &rotationNote{Successor: successor, Predecessor: predecessor, BaseURL: baseURL, Done: []string{},
		path: filepath.Join(dir, successor+".json")}
	if err := (fileperm.Checker{}).File("rotation state file", n.path, 0o022, "go-w", noteRisk); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(n.path)
	if errors.Is(err, fs.ErrNotExist) {
		return n, nil
	}
	if err != nil {
		return nil, err
	}
	var saved rotationNote
	if err := json.Unmarshal(data, &saved); err != nil || saved.Successor != successor || saved.BaseURL != baseURL {
		return n, nil // another rotation's or unreadable: start afresh
	}
	saved.path = n.path
	if saved.Done == nil {
		saved.Done = []string{}
	}
	return &saved, nil
}

// save writes the note 0600 in a 0700 folder.
func (n *rotationNote) save() error {
	if err := os.MkdirAll(filepath.Dir(n.path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	tmp := n.path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, n.path)
}

// remove deletes the note of a finished or undone rotation.
func (n *rotationNote) remove() { _ = os.Remove(n.path) }

// fingerprint names a target in the note without its text (a command may
// hold other credentials of its own).
func fingerprint(t deployTarget) string {
	h := sha256.New()
	if t.isFile() {
		abs, err := filepath.Abs(t.Path)
		if err != nil {
			abs = t.Path
		}
		h.Write([]byte("file\x00" + abs + "\x00" + t.Var))
	} else {
		h.Write([]byte("cmd\x00" + t.Cmd))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func (n *rotationNote) isDone(t deployTarget) bool { return slices.Contains(n.Done, fingerprint(t)) }

func (n *rotationNote) markDone(t deployTarget) {
	if !n.isDone(t) {
		n.Done = append(n.Done, fingerprint(t))
	}
}

func (n *rotationNote) markUndone(t deployTarget) {
	n.Done = slices.DeleteFunc(n.Done, func(f string) bool { return f == fingerprint(t) })
}
