package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// ServeOptions bound what one client can hold of the server (docs/api.md#security). Zero fields take the defaults below, stated in
// docs/api.md.
type ServeOptions struct {
	// MaxConns caps the open connections; further clients wait in the
	// listen backlog until one closes. Well below the file limit Go raises
	// the process to, so holding connections cannot exhaust descriptors.
	MaxConns int
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the
	// whole request (a body trickled a byte a second is cut), WriteTimeout
	// the answer, IdleTimeout a keep-alive connection between requests.
	// A handler that streams for longer (the dashboard's event stream)
	// moves its own deadline with http.ResponseController.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// DrainTimeout is how long a stop waits for requests in flight before
	// cutting the connections still open.
	DrainTimeout time.Duration
}

// The defaults of ServeOptions.
const (
	DefaultMaxConns          = 512
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultDrainTimeout      = 5 * time.Second
)

func (o ServeOptions) withDefaults() ServeOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.DrainTimeout, DefaultDrainTimeout)
	return o
}

// Serve answers on ln until ctx is done, then stops: it stops accepting,
// lets the requests in flight finish for up to DrainTimeout, and then cuts
// the connections still open (a stalled client cannot hold the stop). A stop
// asked for by ctx returns nil; ln is closed when Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener, o ServeOptions) error {
	o = o.withDefaults()
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
	}
	// The dashboard's event streams end when the stop begins, rather than
	// hold the drain until its deadline.
	hs.RegisterOnShutdown(s.CloseStreams)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(newLimitListener(ln, o.MaxConns)) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), o.DrainTimeout)
	defer cancel()
	if err := hs.Shutdown(drain); err != nil {
		s.log.Warn("requests still open after the drain deadline: cutting them", "drain_timeout", o.DrainTimeout)
		hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// limitListener accepts at most max connections open at once: Accept waits
// for one to close first (as golang.org/x/net/netutil.LimitListener does).
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its slot back when closed, once.
type limitConn struct {
	net.Conn
	release   func()
	closeOnce sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(c.release)
	return err
}
