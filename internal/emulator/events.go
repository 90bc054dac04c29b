package emulator

import (
	"github.com/zupy/zupy-cli/internal/wire"
	"sync"
	"sync/atomic"
)

// Event is one thing that happened, as the dashboard hears of it.
type Event = wire.DashboardEvent

// Event types, as short names.
const (
	EventOTPSent    = wire.EventOTPSent
	EventLogin      = wire.EventLogin
	EventLogout     = wire.EventLogout
	EventKeyCreated = wire.EventKeyCreated
	EventKeyUpdated = wire.EventKeyUpdated
	EventKeyUsed    = wire.EventKeyUsed
	EventKeyRotated = wire.EventKeyRotated
	EventKeyRevoked = wire.EventKeyRevoked
	EventClock      = wire.EventClock
	EventReset      = wire.EventReset
	EventResync     = wire.EventResync
)

// subscriberQueue bounds the events waiting for one subscriber; past it
// the subscriber's queue is replaced by a single resync event.
const subscriberQueue = 256

// hub fans events out to subscribers (the dashboard's event streams).
// publish never blocks and never waits for a subscriber: each subscriber
// has a bounded queue, repeated key.used events for one key coalesce into
// one, and a subscriber that falls behind by more than its queue loses the
// backlog and gets one resync event instead. With no subscriber, publish
// is one atomic load, so the verification path pays nothing for it.
type hub struct {
	n    atomic.Int32 // subscribers, read without the lock
	mu   sync.Mutex
	subs map[*subscriber]struct{}
	// closed is set by close: no new subscriber is accepted.
	closed bool
}

// subscriber is one consumer of events.
type subscriber struct {
	mu      sync.Mutex
	queue   []Event
	dropped bool
	// ready has a token when queue is not empty (capacity 1: a publish
	// never waits on it).
	ready chan struct{}
	// done is closed when the hub closes.
	done chan struct{}
}

func newHub() *hub { return &hub{subs: make(map[*subscriber]struct{})} }

// subscribe adds a subscriber; cancel removes it. ok is false once the hub
// is closed.
func (h *hub) subscribe() (sub *subscriber, cancel func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, func() {}, false
	}
	sub = &subscriber{ready: make(chan struct{}, 1), done: make(chan struct{})}
	h.subs[sub] = struct{}{}
	h.n.Add(1)
	return sub, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[sub]; ok {
			delete(h.subs, sub)
			h.n.Add(-1)
		}
	}, true
}

// publish hands e to every subscriber without waiting for any.
func (h *hub) publish(e Event) {
	if h.n.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.offer(e)
	}
}

// close ends every subscription (their done channels close) and refuses new
// ones: the event streams end, so they do not hold up a server's drain.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for sub := range h.subs {
		close(sub.done)
		delete(h.subs, sub)
	}
	h.n.Store(0)
}

// offer queues e, coalescing a key.used with the last queued one of the
// same key and dropping the backlog when the queue is full.
func (s *subscriber) offer(e Event) {
	s.mu.Lock()
	switch {
	case s.dropped:
		// The resync already queued covers e.
	case e.Type == EventKeyUsed && s.coalesce(e):
	case len(s.queue) >= subscriberQueue:
		s.queue = append(s.queue[:0], Event{Type: EventResync, At: e.At})
		s.dropped = true
	default:
		if e.Type == EventKeyUsed && e.Count == 0 {
			e.Count = 1
		}
		s.queue = append(s.queue, e)
	}
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// coalesce folds a key.used into a queued one of the same key; it runs
// under s.mu.
func (s *subscriber) coalesce(e Event) bool {
	for i := len(s.queue) - 1; i >= 0; i-- {
		q := &s.queue[i]
		if q.Type == EventKeyUsed && q.KeyID == e.KeyID {
			q.Count += max(e.Count, 1)
			q.At = e.At
			return true
		}
	}
	return false
}

// take returns and clears the queued events.
func (s *subscriber) take() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.queue
	s.queue, s.dropped = nil, false
	return out
}
