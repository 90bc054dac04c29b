package emulator

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/zupy/zupy-cli/internal/wire"
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
	EventKeyUndone  = wire.EventKeyRotationUndone
	EventClock      = wire.EventClock
	EventReset      = wire.EventReset
	EventResync     = wire.EventResync
)

// subscriberQueue bounds the events waiting for one subscriber; past it
// the subscriber's queue is replaced by a single resync event.
const subscriberQueue = 256

// DefaultMaxStreams caps the dashboard's event streams open at once, far
// below the connection cap (DefaultMaxConns): each stream holds a
// connection for as long as its client keeps it, reading or not, so without
// a cap of their own idle streams could take every connection and lock the
// API out (docs/api.md, the dashboard).
const DefaultMaxStreams = 32

// publishQueue bounds the events published but not yet fanned out; past it
// an event is dropped and every subscriber gets one resync instead.
const publishQueue = 4096

// errTooManyStreams refuses a subscription beyond the cap.
var errTooManyStreams = errors.New("too many event streams")

// errHubClosed refuses a subscription once the hub is closed.
var errHubClosed = errors.New("event hub closed")

// hub fans events out to subscribers (the dashboard's event streams).
//
// publish, called on the request path, never loops over subscribers nor
// waits for one: it is one atomic load when nobody listens, else one
// non-blocking send to the broadcaster goroutine, which hands each event to
// every subscriber. Each subscriber has a bounded queue, repeated key.used
// events for one key coalesce into one, and a subscriber that falls behind
// by more than its queue loses the backlog and gets one resync event
// instead; so does every subscriber when the broadcaster itself falls
// behind by publishQueue events.
type hub struct {
	n   atomic.Int32 // subscribers, read without the lock
	max int32        // subscribers admitted at once
	in  chan Event   // published, not yet fanned out
	// lost is set when publish dropped an event for a full queue; wake
	// then tells the broadcaster, which may have nothing else to read.
	lost atomic.Bool
	wake chan struct{}
	stop chan struct{} // closed by close: the broadcaster ends

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

// newHub starts a hub and its broadcaster; close stops it.
func newHub() *hub {
	h := &hub{subs: make(map[*subscriber]struct{}), max: DefaultMaxStreams,
		in: make(chan Event, publishQueue), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	go h.broadcast()
	return h
}

// subscribe adds a subscriber; cancel removes it. It fails with
// errTooManyStreams past the cap and errHubClosed once the hub is closed.
func (h *hub) subscribe() (sub *subscriber, cancel func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, func() {}, errHubClosed
	}
	if int32(len(h.subs)) >= h.max {
		return nil, func() {}, errTooManyStreams
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
	}, nil
}

// publish queues e for the broadcaster without waiting: when its queue is
// full, e is dropped and the subscribers are told to resync.
func (h *hub) publish(e Event) {
	if h.n.Load() == 0 {
		return
	}
	select {
	case h.in <- e:
	default:
		h.lost.Store(true)
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// broadcast hands the published events to the subscribers until close.
func (h *hub) broadcast() {
	for {
		select {
		case <-h.stop:
			return
		case <-h.wake:
		case e := <-h.in:
			h.fanOut(e)
		}
		// Events were dropped: a resync covers them (and any before it).
		if h.lost.Swap(false) {
			h.fanOut(Event{Type: EventResync})
		}
	}
}

// fanOut offers e to every subscriber; only the broadcaster (and tests of
// the subscriber's queue) call it.
func (h *hub) fanOut(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		sub.offer(e)
	}
}

// close ends every subscription (their done channels close), stops the
// broadcaster and refuses new subscriptions: the event streams end, so they
// do not hold up a server's drain.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.stop)
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
	case e.Type == EventResync || len(s.queue) >= subscriberQueue:
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
