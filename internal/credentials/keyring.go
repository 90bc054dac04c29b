package credentials

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Backend is the raw OS keyring (go-keyring's three functions), injectable
// for tests.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// OSBackend is the OS keyring: Secret Service over D-Bus on Linux and BSD,
// Keychain on macOS, Credential Manager on Windows.
func OSBackend() Backend { return osBackend{} }

type osBackend struct{}

func (osBackend) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osBackend) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}
func (osBackend) Delete(service, user string) error { return keyring.Delete(service, user) }

// Keyring timeouts the CLI uses (docs/security-model.md).
const (
	// HeadlessTimeout bounds keyring calls when no terminal can answer an
	// unlock prompt.
	HeadlessTimeout = 3 * time.Second
	// InteractiveTimeout leaves a person time to answer an unlock prompt.
	InteractiveTimeout = 60 * time.Second
)

// NewKeyring returns the Store that keeps secrets in b under Service. Every
// call is bounded by timeout (HeadlessTimeout when timeout <= 0); a call that
// does not answer becomes an *UnavailableError with Timeout set, and every
// later call on the same Store fails the same way at once instead of waiting
// again. Missing entries are ErrNotFound; any other backend failure is an
// *UnavailableError. Cancelling ctx returns ctx's error.
func NewKeyring(b Backend, timeout time.Duration) Store {
	if timeout <= 0 {
		timeout = HeadlessTimeout
	}
	return &keyringStore{backend: b, timeout: timeout}
}

type keyringStore struct {
	backend Backend
	timeout time.Duration

	mu       sync.Mutex
	timedOut bool // a call has not answered: the keyring is hung
}

func (k *keyringStore) Location() string { return "keyring" }

func (k *keyringStore) Get(ctx context.Context, account string) (string, error) {
	v, err := k.call(ctx, "get", account, "", func() (string, error) {
		return k.backend.Get(Service, account)
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

func (k *keyringStore) Set(ctx context.Context, account, secret string) error {
	if err := checkSecret(secret); err != nil {
		return err
	}
	_, err := k.call(ctx, "set", account, secret, func() (string, error) {
		return "", k.backend.Set(Service, account, secret)
	})
	return err
}

func (k *keyringStore) Delete(ctx context.Context, account string) error {
	_, err := k.call(ctx, "delete", account, "", func() (string, error) {
		return "", k.backend.Delete(Service, account)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

type callResult struct {
	value string
	err   error
}

// call runs fn in its own goroutine and waits for it, the timeout or ctx,
// whichever comes first. The result channel is buffered so that a call that
// answers after we stopped waiting can still send and exit: only a call that
// never returns keeps its goroutine, and that is go-keyring's to release.
func (k *keyringStore) call(ctx context.Context, op, account, secret string, fn func() (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("keyring %s %s: %w", op, account, err)
	}
	k.mu.Lock()
	hung := k.timedOut
	k.mu.Unlock()
	if hung {
		return "", &UnavailableError{Op: op, Account: account, Timeout: true, After: k.timeout, Err: errEarlierTimeout}
	}

	done := make(chan callResult, 1)
	go func() {
		var r callResult
		defer func() {
			if p := recover(); p != nil {
				r = callResult{err: fmt.Errorf("keyring backend panicked: %v", p)}
			}
			done <- r
		}()
		r.value, r.err = fn()
	}()

	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return "", mapBackendError(op, account, secret, r.err)
		}
		return r.value, nil
	case <-timer.C:
		k.mu.Lock()
		k.timedOut = true
		k.mu.Unlock()
		return "", &UnavailableError{Op: op, Account: account, Timeout: true, After: k.timeout}
	case <-ctx.Done():
		return "", fmt.Errorf("keyring %s %s: %w", op, account, ctx.Err())
	}
}

// mapBackendError turns go-keyring's errors into this package's: a missing
// entry is ErrNotFound; anything else means the keyring cannot be used.
func mapBackendError(op, account, secret string, err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("the OS keyring refused to %s %s: the secret is too big", opVerb(op), account)
	}
	return &UnavailableError{Op: op, Account: account, Err: redact(err, secret)}
}
