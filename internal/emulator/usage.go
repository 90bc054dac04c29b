package emulator

import (
	"context"
	"sync"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// usageTracker batches last_used_at/usage_count so that verifying a key
// writes nothing to the database: record adds to memory, flush writes the
// batch in one transaction (every second and on Close), and merge lets reads
// show usage not yet flushed.
//
// flushMu orders reads against flushes: a flush holds it exclusively from
// taking the batch until the batch is committed, and a read holds it shared
// from reading the row until merging the pending usage, so a use is counted
// by exactly one of the two.
type usageTracker struct {
	flushMu sync.RWMutex
	mu      sync.Mutex
	pending map[string]store.Usage
}

func newUsageTracker() *usageTracker {
	return &usageTracker{pending: make(map[string]store.Usage)}
}

// record counts one use of key id at t.
func (u *usageTracker) record(id string, t time.Time) {
	u.mu.Lock()
	p := u.pending[id]
	p.Count++
	if t.After(p.LastAt) {
		p.LastAt = t
	}
	u.pending[id] = p
	u.mu.Unlock()
}

// flush writes the pending usage and, in the same transaction, what also
// writes (nil: nothing); force runs the transaction even with no usage
// pending. On failure the batch is put back and failed (if any) is called.
func (u *usageTracker) flush(ctx context.Context, st *store.Store, force bool, also func(*store.Tx) error, failed func()) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[string]store.Usage)
	u.mu.Unlock()
	if len(batch) == 0 && !force {
		return nil
	}
	err := st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.AddUsage(ctx, batch); err != nil {
			return err
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		u.mu.Lock()
		for id, b := range batch {
			p := u.pending[id]
			p.Count += b.Count
			if b.LastAt.After(p.LastAt) {
				p.LastAt = b.LastAt
			}
			u.pending[id] = p
		}
		u.mu.Unlock()
		if failed != nil {
			failed()
		}
	}
	return err
}

// reading runs read (which loads rows from the store) and then merges the
// pending usage into the keys it returned, atomically with respect to flush.
func (u *usageTracker) reading(read func() ([]store.Key, error)) ([]store.Key, error) {
	u.flushMu.RLock()
	defer u.flushMu.RUnlock()
	keys, err := read()
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range keys {
		if p, ok := u.pending[keys[i].ID]; ok {
			keys[i].UsageCount += p.Count
			if p.LastAt.After(keys[i].LastUsedAt) {
				keys[i].LastUsedAt = p.LastAt
			}
		}
	}
	return keys, nil
}

// reset drops pending usage (the data it belongs to is gone).
func (u *usageTracker) reset() {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	u.pending = make(map[string]store.Usage)
	u.mu.Unlock()
}
