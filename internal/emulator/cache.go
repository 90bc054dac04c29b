package emulator

import (
	"sync"

	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// cachedKey is an immutable snapshot of a key's verification data. A change
// to the key replaces the snapshot; nothing mutates one in place.
type cachedKey struct {
	store.Key
	limiterKey string // the key's lineage budget in the limiter
}

func newCachedKey(k store.Key) *cachedKey {
	return &cachedKey{Key: k, limiterKey: "key:" + k.LineageID}
}

// keyCache maps secret hashes to key snapshots so that verification needs no
// database read. Every change of a key (update, revoke, rotate) invalidates
// its entry before the change is answered, so no request that arrives after
// the answer sees the old state. The generation counter keeps a lookup that
// raced with an invalidation from storing the stale row it read.
type keyCache struct {
	mu     sync.RWMutex
	gen    uint64
	byHash map[string]*cachedKey
}

func newKeyCache() *keyCache { return &keyCache{byHash: make(map[string]*cachedKey)} }

// get returns the cached snapshot and the generation to pass to fill on a
// miss.
func (c *keyCache) get(hash string) (*cachedKey, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byHash[hash], c.gen
}

// fill stores k unless an invalidation happened since gen was read.
func (c *keyCache) fill(gen uint64, hash string, k *cachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.byHash[hash] = k
	}
}

// invalidate forgets hash.
func (c *keyCache) invalidate(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.byHash, hash)
}

// clear forgets everything.
func (c *keyCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byHash = make(map[string]*cachedKey)
}
