package credentials

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
)

const (
	liveKey = "zup_live_sk_a1b2c3d4e5f6g7h8i9j0" // zupy:allow
	testKey = "zup_test_sk_z9y8x7w6v5u4t3s2r1q0" // zupy:allow
)

func TestSaveKeyStoresSecretAndListsItMasked(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, SaveKey(ctx, s, "default", "key_1", liveKey))
			must(t, SaveKey(ctx, s, "default", "key_2", testKey))
			got, err := s.Get(ctx, KeyAccount("default", "key_1"))
			if err != nil || got != liveKey {
				t.Fatalf("secret of key_1 = %q, %v", got, err)
			}
			keys, err := SavedKeys(ctx, s, "default")
			must(t, err)
			want := []SavedKey{{"key_1", apikey.Mask(liveKey)}, {"key_2", apikey.Mask(testKey)}}
			if !slices.Equal(keys, want) {
				t.Fatalf("SavedKeys = %+v, want %+v", keys, want)
			}
			index, err := s.Get(ctx, IndexAccount("default"))
			must(t, err)
			if strings.Contains(index, liveKey) || strings.Contains(index, testKey) {
				t.Fatalf("the index holds a secret: %s", index)
			}
		})
	}
}

func TestSaveKeyAgainReplacesTheEntry(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, SaveKey(ctx, s, "default", "key_1", liveKey))
			must(t, SaveKey(ctx, s, "default", "key_1", testKey))
			keys, err := SavedKeys(ctx, s, "default")
			must(t, err)
			if want := []SavedKey{{"key_1", apikey.Mask(testKey)}}; !slices.Equal(keys, want) {
				t.Fatalf("SavedKeys = %+v, want %+v", keys, want)
			}
			if got, _ := s.Get(ctx, KeyAccount("default", "key_1")); got != testKey {
				t.Fatalf("secret = %q", got)
			}
		})
	}
}

func TestSavedKeysOfAProfileWithoutKeysIsEmpty(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		keys, err := SavedKeys(context.Background(), s, "default")
		if err != nil || len(keys) != 0 {
			t.Errorf("%s: SavedKeys = %+v, %v", name, keys, err)
		}
	}
}

func TestDeleteKeyRemovesSecretAndEntry(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, SaveKey(ctx, s, "default", "key_1", liveKey))
			must(t, SaveKey(ctx, s, "default", "key_2", testKey))
			must(t, DeleteKey(ctx, s, "default", "key_1"))
			if _, err := s.Get(ctx, KeyAccount("default", "key_1")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("secret of deleted key: %v", err)
			}
			keys, _ := SavedKeys(ctx, s, "default")
			if want := []SavedKey{{"key_2", apikey.Mask(testKey)}}; !slices.Equal(keys, want) {
				t.Fatalf("SavedKeys = %+v, want %+v", keys, want)
			}
			must(t, DeleteKey(ctx, s, "default", "key_1")) // absent: not an error
			must(t, DeleteKey(ctx, s, "default", "key_2"))
			if _, err := s.Get(ctx, IndexAccount("default")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("an empty index should be removed: %v", err)
			}
		})
	}
}

func TestDeleteProfileRemovesEverythingOfThatProfileOnly(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			for _, p := range []string{"default", "work"} {
				must(t, s.Set(ctx, SessionAccount(p), "zup_sess_"+p))
				must(t, SaveKey(ctx, s, p, "key_1", liveKey))
				must(t, SaveKey(ctx, s, p, "key_2", testKey))
			}
			must(t, DeleteProfile(ctx, s, "default"))
			for _, a := range []string{SessionAccount("default"), KeyAccount("default", "key_1"), KeyAccount("default", "key_2"), IndexAccount("default")} {
				if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s after DeleteProfile: %v", a, err)
				}
			}
			if got, _ := s.Get(ctx, SessionAccount("work")); got != "zup_sess_work" {
				t.Errorf("the other profile's session is gone")
			}
			if keys, _ := SavedKeys(ctx, s, "work"); len(keys) != 2 {
				t.Errorf("the other profile's keys: %+v", keys)
			}
			must(t, DeleteProfile(ctx, s, "default")) // again: nothing left, not an error
		})
	}
}

func TestDeleteProfileWithACorruptIndexStillRemovesTheSession(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			must(t, s.Set(ctx, SessionAccount("default"), "zup_sess_x"))
			must(t, s.Set(ctx, IndexAccount("default"), "{not json"))
			err := DeleteProfile(ctx, s, "default")
			if err == nil || !strings.Contains(err.Error(), "default/keys") || !strings.Contains(err.Error(), SourceOf(s).String()) {
				t.Fatalf("err = %v, want it to name the corrupt index and the store", err)
			}
			for _, a := range []string{SessionAccount("default"), IndexAccount("default")} {
				if _, err := s.Get(ctx, a); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %v", a, err)
				}
			}
		})
	}
}

// failingKeyStore refuses to store key secrets but stores everything else.
type failingKeyStore struct{ Store }

func (f failingKeyStore) Set(ctx context.Context, account, secret string) error {
	if strings.Contains(account, "/key/") {
		return &UnavailableError{Op: "set", Account: account, Err: errors.New("locked")}
	}
	return f.Store.Set(ctx, account, secret)
}

func TestSaveKeyThatFailsLeavesTheIndexAsItWas(t *testing.T) {
	ctx := context.Background()
	inner := NewKeyring(newFakeBackend(), time.Second)
	must(t, SaveKey(ctx, inner, "default", "key_1", liveKey))
	s := failingKeyStore{inner}
	var ue *UnavailableError
	if err := SaveKey(ctx, s, "default", "key_2", testKey); !errors.As(err, &ue) {
		t.Fatalf("err = %v, want the store's error", err)
	}
	if err := SaveKey(ctx, s, "default", "key_1", testKey); !errors.As(err, &ue) {
		t.Fatalf("err = %v, want the store's error", err)
	}
	keys, _ := SavedKeys(ctx, inner, "default")
	if want := []SavedKey{{"key_1", apikey.Mask(liveKey)}}; !slices.Equal(keys, want) {
		t.Fatalf("SavedKeys = %+v, want %+v", keys, want)
	}
}

func TestConcurrentSaveKeyIntoTheFileStoreKeepsTheIndexComplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := SaveKey(context.Background(), NewFile(path), "default", fmt.Sprintf("key_%02d", i), liveKey); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	keys, err := SavedKeys(context.Background(), NewFile(path), "default")
	must(t, err)
	if len(keys) != n {
		t.Fatalf("index lists %d keys, want %d: concurrent saves lost entries: %+v", len(keys), n, keys)
	}
}

func TestKeyFunctionsRejectAmbiguousNames(t *testing.T) {
	ctx := context.Background()
	s := NewKeyring(newFakeBackend(), time.Second)
	for _, tc := range []struct{ profile, keyID string }{{"a/b", "key_1"}, {"", "key_1"}, {"default", "x/y"}, {"default", ""}, {"default", "k\n"}} {
		if err := SaveKey(ctx, s, tc.profile, tc.keyID, liveKey); err == nil {
			t.Errorf("SaveKey(%q, %q) succeeded", tc.profile, tc.keyID)
		}
		if err := DeleteKey(ctx, s, tc.profile, tc.keyID); err == nil {
			t.Errorf("DeleteKey(%q, %q) succeeded", tc.profile, tc.keyID)
		}
	}
	if err := DeleteProfile(ctx, s, "a/key"); err == nil {
		t.Error("DeleteProfile of a/key succeeded")
	}
}
