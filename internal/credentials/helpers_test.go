package credentials

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// fakeBackend is an in-memory keyring that behaves like go-keyring: a missing
// entry is keyring.ErrNotFound. err, when set, is returned by every call.
type fakeBackend struct {
	mu      sync.Mutex
	entries map[[2]string]string
	err     error
	calls   atomic.Int32
}

func newFakeBackend() *fakeBackend { return &fakeBackend{entries: map[[2]string]string{}} }

func (f *fakeBackend) Get(service, user string) (string, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.entries[[2]string{service, user}]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, password string) error {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.entries[[2]string{service, user}] = password
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	k := [2]string{service, user}
	if _, ok := f.entries[k]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.entries, k)
	return nil
}

// blockingBackend never answers until release is closed, like a Secret
// Service waiting on an unlock prompt nobody can see. entered receives one
// value per call that started.
type blockingBackend struct {
	release chan struct{}
	entered chan struct{}
	calls   atomic.Int32
}

func newBlockingBackend() *blockingBackend {
	return &blockingBackend{release: make(chan struct{}), entered: make(chan struct{}, 1000)}
}

func (b *blockingBackend) wait() {
	b.calls.Add(1)
	b.entered <- struct{}{}
	<-b.release
}

func (b *blockingBackend) Get(string, string) (string, error) { b.wait(); return "late", nil }
func (b *blockingBackend) Set(string, string, string) error   { b.wait(); return nil }
func (b *blockingBackend) Delete(string, string) error        { b.wait(); return nil }

// storesUnderTest returns a fresh keyring store (on a fake backend) and a
// fresh file store, so behaviour both must share is tested on both.
func storesUnderTest(t *testing.T) map[string]Store {
	t.Helper()
	return map[string]Store{
		"keyring": NewKeyring(newFakeBackend(), time.Second),
		"file":    NewFile(filepath.Join(t.TempDir(), "zupy", FileName)),
	}
}
