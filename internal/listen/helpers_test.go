package listen_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logRecorder is a slog handler that keeps the records of one message.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// lines returns the records with message msg and the sum of their counts.
func (h *logRecorder) lines(msg string) (n int, count int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Message != msg {
			continue
		}
		n++
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "count" {
				count += a.Value.Int64()
			}
			return true
		})
	}
	return n, count
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// loopback listens on a free loopback port, closed when the test ends.
func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// dialFrom connects to addr from the local address from (an IP on the
// loopback network), closed when the test ends.
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether a connection from the local address from to addr
// is closed or reset by the server within 5 s, or already while connecting.
func refused(t *testing.T, from, addr string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	defer c.Close()
	return closedByPeer(c, 5*time.Second)
}

// closedByPeer reports whether the peer closed c (or reset it) within d.
func closedByPeer(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	var b [512]byte
	for {
		_, err := c.Read(b[:])
		if err == nil {
			continue
		}
		ne, ok := err.(net.Error)
		return !ok || !ne.Timeout()
	}
}

// gateEvents records what a Gate refuses.
type gateEvents struct {
	mu       sync.Mutex
	conns    map[string]int // by reason
	statuses []int
}

func (e *gateEvents) ObserveConnRefused(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conns == nil {
		e.conns = map[string]int{}
	}
	e.conns[reason]++
}

func (e *gateEvents) ObserveRefusal(status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.statuses = append(e.statuses, status)
}

func (e *gateEvents) refusedConns(reason string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conns[reason]
}

func (e *gateEvents) refusals() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.statuses...)
}

// attr returns the value of the attribute key of the first record with
// message msg.
func (h *logRecorder) attr(msg, key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Message != msg {
			continue
		}
		var v string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				v = a.Value.String()
			}
			return true
		})
		return v
	}
	return ""
}
