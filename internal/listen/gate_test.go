package listen_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/listen"
)

// flakyListener fails Accept with EMFILE errs times (for ever if errs < 0)
// before each connection it is given.
type flakyListener struct {
	mu    sync.Mutex
	errs  int
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newFlaky(errs int) *flakyListener {
	return &flakyListener{errs: errs, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *flakyListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	default:
	}
	l.mu.Lock()
	fail := l.errs != 0
	if l.errs > 0 {
		l.errs--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
	}
}

func (l *flakyListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *flakyListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

func TestAcceptOutlivesErrors(t *testing.T) {
	rec := &logRecorder{}
	ln := newFlaky(6)
	g := listen.New(listen.Config{Log: slog.New(rec), LogEvery: time.Hour})
	_, web := g.Plain(ln)

	client, server := net.Pipe()
	defer client.Close()
	go func() { ln.conns <- server }()
	go client.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	c, err := web.Accept()
	if err != nil {
		t.Fatalf("Accept after six EMFILE: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "GET / HTTP/1.0\r\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	if n, count := rec.lines("accept failed; retrying"); n != 1 || count != 1 {
		t.Fatalf("%d log lines counting %d for six failures within one interval; want the first alone", n, count)
	}

	ln.Close()
	if _, err := web.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed listener: %v", err)
	}
}

func TestAcceptEndsWhileFailing(t *testing.T) {
	ln := newFlaky(-1)
	g := listen.New(listen.Config{})
	grpc, web := g.Plain(ln)
	done := make(chan error, 2)
	for _, l := range []net.Listener{grpc, web} {
		go func() { _, err := l.Accept(); done <- err }()
	}
	ln.Close()
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Accept: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Accept still retrying after Close")
		}
	}
}

// serveOK serves 200 OK on the web side of g for ln.
func serveOK(t *testing.T, g *listen.Gate, ln net.Listener) {
	_, web := g.Plain(ln)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	go srv.Serve(web)
	t.Cleanup(func() { srv.Close() })
}

// get makes one HTTP request from the local address from.
func get(from, addr string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

func TestCaps(t *testing.T) {
	for _, tc := range []struct {
		name           string
		total, perAddr int
		otherAdmitted  bool // a connection from another address at the cap
	}{
		{"Total", 3, 0, false},
		{"PerAddr", 0, 3, true},
		{"Both", 4, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, obs := &logRecorder{}, &gateEvents{}
			ln := loopback(t)
			addr := ln.Addr().String()
			g := listen.New(listen.Config{MaxConns: tc.total, MaxConnsPerAddr: tc.perAddr, FirstBytes: time.Minute, Log: slog.New(rec), LogEvery: time.Hour, Observer: obs})
			serveOK(t, g, ln)

			// Three silent connections fill the cap: they count while their
			// protocol is not known.
			var held []net.Conn
			for range 3 {
				held = append(held, dialFrom(t, "127.0.0.1", addr))
			}
			if !refused(t, "127.0.0.1", addr) {
				t.Fatal("a connection over the cap stayed open")
			}
			if n := g.Open(); n != 3 {
				t.Errorf("Open = %d with three connections held", n)
			}
			reason := "cap_per_addr"
			if tc.perAddr == 0 {
				reason = "cap_total"
			}
			if n := obs.refusedConns(reason); n != 1 {
				t.Errorf("%d refusals observed as %s, want 1", n, reason)
			}
			if err := get("127.0.0.2", addr); (err == nil) != tc.otherAdmitted {
				t.Fatalf("another address at the cap: %v, want admitted %v", err, tc.otherAdmitted)
			}
			if n, count := rec.lines("connections refused over the cap"); n != 1 || count != 1 {
				t.Fatalf("%d log lines counting %d; want one line for the first refusal", n, count)
			}
			held[0].Close()
			eventually(t, 5*time.Second, "a closed connection gives its place back", func() bool { return get("127.0.0.1", addr) == nil })
		})
	}
}

func TestRefusalsLoggedAtBoundedRate(t *testing.T) {
	rec := &logRecorder{}
	ln := loopback(t)
	const every = 100 * time.Millisecond
	g := listen.New(listen.Config{MaxConns: 1, FirstBytes: time.Minute, Log: slog.New(rec), LogEvery: every})
	serveOK(t, g, ln)
	dialFrom(t, "127.0.0.1", ln.Addr().String())
	start := time.Now()
	const floods = 50
	for range floods {
		if !refused(t, "127.0.0.1", ln.Addr().String()) {
			t.Fatal("a connection over the cap stayed open")
		}
	}
	took := time.Since(start)
	eventually(t, 5*time.Second, "every refusal counted in the log", func() bool {
		_, count := rec.lines("connections refused over the cap")
		return count == floods
	})
	n, _ := rec.lines("connections refused over the cap")
	if limit := int(took/every) + 2; n > limit {
		t.Fatalf("%d log lines for %d refusals in %v; want at most %d, one per %v", n, floods, took, limit, every)
	}
	t.Logf("%d refusals in %v: %d log lines", floods, took, n)
}

func TestFirstBytesTimeout(t *testing.T) {
	ln := loopback(t)
	addr := ln.Addr().String()
	g := listen.New(listen.Config{MaxConns: 1, FirstBytes: time.Second})
	serveOK(t, g, ln)
	silent := dialFrom(t, "127.0.0.1", addr)
	if !refused(t, "127.0.0.1", addr) {
		t.Fatal("a silent connection did not count under the cap")
	}
	if !closedByPeer(silent, 10*time.Second) {
		t.Fatal("a silent connection outlived the first-bytes timeout")
	}
	eventually(t, 5*time.Second, "its place back", func() bool { return get("127.0.0.1", addr) == nil })
}
