package emulator

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/scope"
)

// usageStats counts, in memory, what each identified key does per minute
// of the emulator's clock (docs/api.md "Usage"): requests by answer class,
// the scopes checked, and the client addresses. flush moves the counts to
// SQLite inside the usage flush's transaction (once a second and on Close).
// It is separate from the rate limit: every request whose key was found by
// its hash counts, a 401 for a revoked key included.
//
// Each key has its own slot with its own lock, so requests of different
// keys never wait on each other; the map of slots is read without a lock.
type usageStats struct {
	slots sync.Map // key id → *usageSlot
}

type usageSlot struct {
	mu sync.Mutex
	// taken: a flush emptied this slot and removed it from the map; a
	// request that found it before then makes a new one.
	taken   bool
	minutes map[int64]*store.UsageMinute // by minute start, Unix seconds
	ips     map[netip.Addr]*store.UsageIP
}

func newUsageStats() *usageStats { return &usageStats{} }

// lockSlot returns key id's slot, locked.
func (u *usageStats) lockSlot(id string) *usageSlot {
	for {
		v, ok := u.slots.Load(id)
		if !ok {
			v, _ = u.slots.LoadOrStore(id, &usageSlot{})
		}
		s := v.(*usageSlot)
		s.mu.Lock()
		if !s.taken {
			return s
		}
		s.mu.Unlock()
	}
}

// record counts one request of key id answered with status at now, from
// client ip (invalid when unknown), checked for routeScope and the scopes
// asked (each comma-separated list of ?permission=) when checked is true.
func (u *usageStats) record(id string, now time.Time, status int, ip netip.Addr, checked bool, routeScope string, asked []string) {
	s := u.lockSlot(id)
	defer s.mu.Unlock()
	minute := now.Unix() - now.Unix()%60
	if s.minutes == nil {
		s.minutes = map[int64]*store.UsageMinute{}
	}
	m := s.minutes[minute]
	if m == nil {
		m = &store.UsageMinute{KeyID: id, Start: time.Unix(minute, 0).UTC()}
		s.minutes[minute] = m
	}
	m.Counts.Requests++
	switch {
	case status >= 200 && status < 300:
		m.Counts.OK++
	case status == http.StatusUnauthorized:
		m.Counts.Unauthorized++
	case status == http.StatusForbidden:
		m.Counts.Forbidden++
	case status == http.StatusTooManyRequests:
		m.Counts.RateLimited++
	}
	if checked {
		if routeScope != "" {
			addScope(m, routeScope)
		}
		for _, p := range asked {
			for _, one := range strings.Split(p, ",") {
				if one = strings.TrimSpace(one); scope.Valid(one) {
					addScope(m, one)
				}
			}
		}
	}
	if ip.IsValid() {
		s.addIP(id, ip, now)
	}
}

func addScope(m *store.UsageMinute, sc string) {
	if m.Scopes == nil {
		m.Scopes = map[string]int64{}
	}
	m.Scopes[sc]++
}

// addIP counts a request from ip, keeping at most store.MaxUsageIPs
// addresses in memory (the least recently seen makes room).
func (s *usageSlot) addIP(id string, ip netip.Addr, now time.Time) {
	if s.ips == nil {
		s.ips = map[netip.Addr]*store.UsageIP{}
	}
	e := s.ips[ip]
	if e == nil {
		if len(s.ips) >= store.MaxUsageIPs {
			var oldest netip.Addr
			for a, v := range s.ips {
				if !oldest.IsValid() || v.LastSeen.Before(s.ips[oldest].LastSeen) {
					oldest = a
				}
			}
			delete(s.ips, oldest)
		}
		e = &store.UsageIP{KeyID: id, IP: ip.String()}
		s.ips[ip] = e
	}
	e.Requests++
	if now.After(e.LastSeen) {
		e.LastSeen = now
	}
}

// usageBatch is what one flush takes from memory.
type usageBatch struct {
	minutes []store.UsageMinute
	ips     []store.UsageIP
}

func (b usageBatch) empty() bool { return len(b.minutes) == 0 && len(b.ips) == 0 }

// any reports whether some key has a slot (it may be empty).
func (u *usageStats) any() bool {
	found := false
	u.slots.Range(func(_, _ any) bool { found = true; return false })
	return found
}

// take empties every slot into a batch.
func (u *usageStats) take() usageBatch {
	var b usageBatch
	u.slots.Range(func(id, v any) bool {
		s := v.(*usageSlot)
		s.mu.Lock()
		for _, m := range s.minutes {
			b.minutes = append(b.minutes, *m)
		}
		for _, ip := range s.ips {
			b.ips = append(b.ips, *ip)
		}
		s.taken = true
		u.slots.CompareAndDelete(id, v)
		s.mu.Unlock()
		return true
	})
	return b
}

// putBack returns a batch that could not be written, adding it to what was
// counted since.
func (u *usageStats) putBack(b usageBatch) {
	for _, m := range b.minutes {
		s := u.lockSlot(m.KeyID)
		if s.minutes == nil {
			s.minutes = map[int64]*store.UsageMinute{}
		}
		cur := s.minutes[m.Start.Unix()]
		if cur == nil {
			m := m
			s.minutes[m.Start.Unix()] = &m
		} else {
			cur.Counts.Add(m.Counts)
			for sc, n := range m.Scopes {
				if cur.Scopes == nil {
					cur.Scopes = map[string]int64{}
				}
				cur.Scopes[sc] += n
			}
		}
		s.mu.Unlock()
	}
	for _, ip := range b.ips {
		s := u.lockSlot(ip.KeyID)
		a, err := netip.ParseAddr(ip.IP)
		if err == nil {
			if s.ips == nil {
				s.ips = map[netip.Addr]*store.UsageIP{}
			}
			if cur := s.ips[a]; cur != nil {
				cur.Requests += ip.Requests
				if ip.LastSeen.After(cur.LastSeen) {
					cur.LastSeen = ip.LastSeen
				}
			} else {
				ip := ip
				s.ips[a] = &ip
			}
		}
		s.mu.Unlock()
	}
}

// reset drops everything counted (the data it belongs to is gone).
func (u *usageStats) reset() { u.take() }

// rollUpEvery is how often the flush applies the retention.
const rollUpEvery = time.Minute

// flushUsage writes the batched usage (usage_count, last_used_at) and the
// usage statistics in one transaction, applying the retention at most once
// a rollUpEvery of the emulator's clock.
func (s *Server) flushUsage(ctx context.Context) error {
	now := s.clock.Now()
	last := s.rolledUp.Load()
	rollUp := last == 0 || now.UnixNano()-last >= int64(rollUpEvery)
	var b usageBatch
	err := s.usage.flush(ctx, s.store, s.stats.any() || rollUp, func(tx *store.Tx) error {
		b = s.stats.take() // under the flush lock, so a reset cannot fall between take and write
		if !b.empty() {
			if err := tx.AddUsageStats(ctx, b.minutes, b.ips); err != nil {
				return err
			}
		}
		if rollUp {
			return tx.RollUpUsage(ctx, now)
		}
		return nil
	}, func() { s.stats.putBack(b) })
	if err == nil && rollUp {
		s.rolledUp.Store(now.UnixNano())
	}
	return err
}
