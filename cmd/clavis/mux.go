package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"time"
)

// http2Preface is how every HTTP/2 connection with prior knowledge starts;
// gRPC clients always open plaintext connections so.
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// splitListener sorts the connections of one listener in two by their
// first bytes: HTTP/2 with prior knowledge (gRPC) goes to the gRPC server's
// own transport, which is much faster than grpc.Server.ServeHTTP, and
// everything else (HTTP/1.x: REST, the portal) to the HTTP server.
type splitListener struct {
	ln        net.Listener
	grpc, web *subListener
	closeOnce sync.Once
}

func newSplitListener(ln net.Listener) *splitListener {
	s := &splitListener{ln: ln, grpc: newSub(ln), web: newSub(ln)}
	go s.run()
	return s
}

func (s *splitListener) run() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			s.grpc.fail(err)
			s.web.fail(err)
			return
		}
		go s.sort(c)
	}
}

// sort peeks at the first bytes of c, waiting at most 10 s for them.
func (s *splitListener) sort(c net.Conn) {
	br := bufio.NewReaderSize(c, len(http2Preface))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	head, err := br.Peek(len(http2Preface))
	c.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: c, r: br}
	if err == nil && bytes.Equal(head, http2Preface) {
		s.grpc.deliver(pc)
		return
	}
	if len(head) == 0 && err != nil {
		c.Close()
		return
	}
	s.web.deliver(pc)
}

func (s *splitListener) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.ln.Close() })
	return err
}

// peekedConn replays the peeked bytes before the rest of the connection.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// subListener is one side of a splitListener.
type subListener struct {
	parent net.Listener
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	err    error
}

func newSub(parent net.Listener) *subListener {
	return &subListener{parent: parent, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *subListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *subListener) fail(err error) {
	l.once.Do(func() { l.err = err; close(l.done) })
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

func (l *subListener) Close() error {
	l.fail(net.ErrClosed)
	return nil
}

func (l *subListener) Addr() net.Addr { return l.parent.Addr() }
