package emulator

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"
)

// countingListener records how many of its connections are open at most.
type countingListener struct {
	net.Listener
	mu        sync.Mutex
	open, max int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.max = max(l.max, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *countingListener) peak() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// serveOn starts s.Serve on a loopback listener and returns its address and
// a stop function that cancels it and returns what Serve returned.
func serveOn(t *testing.T, s *Server, o ServeOptions) (*countingListener, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, cl, o) }()
	stopped := false
	stop := func() error {
		cancel()
		stopped = true
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute): // a hang, not a measurement
			t.Fatal("Serve did not return after its context was cancelled")
			return nil
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return cl, stop
}

// keepAlive opens a connection, makes one request on it and keeps it open.
func keepAlive(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, "GET /_emulator/outbox HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v %v", res, err)
	}
	io.Copy(io.Discard, res.Body)
	return c
}

// closedByServer reports whether the server closed c (a read sees EOF or a
// reset before the safety deadline).
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Minute)) // a hang, not a measurement
	_, err := io.ReadAll(c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// Issue 11.4: idle keep-alive connections were held forever, so 20,000 of
// them exhausted file descriptors. Connections are capped, and a client
// beyond the cap is served once the idle timeout frees a slot.
func TestConnectionCapHoldsAndIdleTimeoutFreesASlot(t *testing.T) {
	h := newHarness(t)
	const limit = 4
	cl, _ := serveOn(t, h.srv, ServeOptions{MaxConns: limit, IdleTimeout: time.Second})
	addr := cl.Addr().String()
	var held []net.Conn
	for range limit {
		held = append(held, keepAlive(t, addr))
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + addr + "/_emulator/outbox")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the client beyond the cap was not served: %v %v", res, err)
	}
	res.Body.Close()
	for i, c := range held {
		if !closedByServer(c) {
			t.Fatalf("held connection %d was never closed", i)
		}
	}
	if p := cl.peak(); p != limit {
		t.Fatalf("%d connections open at most, want the cap %d", p, limit)
	}
}

// A body trickled slowly is cut by the read timeout instead of holding its
// connection forever.
func TestTrickledBodyIsCut(t *testing.T) {
	h := newHarness(t)
	cl, _ := serveOn(t, h.srv, ServeOptions{ReadTimeout: 300 * time.Millisecond})
	c, err := net.Dial("tcp", cl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /v1/auth/otp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	if !closedByServer(c) {
		t.Fatal("a stalled body held its connection")
	}
}

// Issue 11.12: SIGTERM with a stalled client waited, then failed. A stop
// drains for DrainTimeout, cuts what is still open and returns nil, so the
// command exits 0.
func TestStopCutsStalledClientsAndSucceeds(t *testing.T) {
	h := newHarness(t)
	cl, stop := serveOn(t, h.srv, ServeOptions{DrainTimeout: 200 * time.Millisecond, ReadTimeout: time.Hour, ReadHeaderTimeout: time.Hour})
	addr := cl.Addr().String()
	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	io.WriteString(stalled, "POST /v1/auth/otp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	idle := keepAlive(t, addr)
	// The stalled request is in its handler (reading the body) once the
	// server answers another request after it on a fresh connection.
	keepAlive(t, addr)
	if err := stop(); err != nil {
		t.Fatalf("Serve after a stop: %v", err)
	}
	if !closedByServer(stalled) || !closedByServer(idle) {
		t.Fatal("a connection outlived the stop")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("still accepting after the stop")
	}
}
