package listen_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/listen"
)

var preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// pipeListener is a listener of in-memory connections.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// dial returns the client end of a new connection.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	go func() {
		select {
		case l.conns <- server:
		case <-l.done:
			server.Close()
		}
	}()
	return client
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "unix"} }

// route sends data on a new connection to Plain, in writes of chunk bytes,
// and returns the side that got it ("grpc" or "web") and the bytes it read.
func route(t testing.TB, data []byte, chunk int) (side string, got []byte) {
	ln := newPipeListener()
	defer ln.Close()
	// Both waits stay well under the fuzzer's 10 s limit per input, past
	// which it reports a hang instead of this test's own failure.
	grpc, web := listen.New(listen.Config{FirstBytes: 3 * time.Second}).Plain(ln)
	type accepted struct {
		side string
		c    net.Conn
	}
	acc := make(chan accepted, 2)
	for name, l := range map[string]net.Listener{"grpc": grpc, "web": web} {
		go func() {
			c, err := l.Accept()
			if err == nil {
				acc <- accepted{name, c}
			}
		}()
	}
	client := ln.dial()
	go func() {
		defer client.Close()
		for rest := data; len(rest) > 0; {
			n := min(chunk, len(rest))
			if _, err := client.Write(rest[:n]); err != nil {
				return
			}
			rest = rest[n:]
		}
	}()
	var a accepted
	select {
	case a = <-acc:
	case <-time.After(5 * time.Second):
		t.Fatalf("%q reached no side", data)
	}
	got, err := io.ReadAll(a.c)
	if err != nil {
		t.Fatalf("%q: read on %s: %v", data, a.side, err)
	}
	a.c.Close()
	ln.Close()
	select {
	case b := <-acc:
		t.Fatalf("%q reached both sides, %s and %s", data, a.side, b.side)
	default:
	}
	return a.side, got
}

func TestPlainRoutes(t *testing.T) {
	settings := []byte{0, 0, 0, 4, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"Preface", preface, "grpc"},
		{"PrefaceAndSettings", append(append([]byte{}, preface...), settings...), "grpc"},
		{"HTTP1", []byte("GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\n\r\n"), "web"},
		{"ShortHTTP1", []byte("GET / HTTP/1.0\r\n\r\n"), "web"},
		{"PartialPreface", preface[:16], "web"},
		{"PRIOverHTTP1", []byte("PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n"), "web"},
		{"TLSHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, "web"},
		{"OneByte", []byte("P"), "web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{1, 5, len(tc.data)} {
				side, got := route(t, tc.data, chunk)
				if side != tc.want || !bytes.Equal(got, tc.data) {
					t.Fatalf("in writes of %d: %s read %q; want %s read %q", chunk, side, got, tc.want, tc.data)
				}
			}
		})
	}
}

// TestShortRequestNotDelayed sends a whole HTTP/1.0 request shorter than the
// preface and keeps the connection open: it must be sorted at its first
// byte, not when the first-bytes time runs out.
func TestShortRequestNotDelayed(t *testing.T) {
	ln := newPipeListener()
	defer ln.Close()
	_, web := listen.New(listen.Config{FirstBytes: time.Hour}).Plain(ln)
	client := ln.dial()
	defer client.Close()
	go client.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	accepted := make(chan error, 1)
	go func() { _, err := web.Accept(); accepted <- err }()
	select {
	case err := <-accepted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a short HTTP/1.0 request waited for the preface's length")
	}
}

// FuzzPlain checks that Plain never panics, sends a connection to gRPC
// exactly when it begins with the HTTP/2 preface and to HTTP otherwise, and
// hands on every byte, however the bytes are split into writes.
func FuzzPlain(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		if len(data) == 0 {
			return // an empty connection reaches no side; TestFirstBytesTimeout covers it
		}
		want := "web"
		if bytes.HasPrefix(data, preface) {
			want = "grpc"
		}
		side, got := route(t, data, max(int(chunk), 1))
		if side != want || !bytes.Equal(got, data) {
			t.Fatalf("%s read %q; want %s read %q", side, got, want, data)
		}
	})
}
