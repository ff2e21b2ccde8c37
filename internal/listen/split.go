package listen

import (
	"bytes"
	"net"
	"time"
)

// http2Preface is how every HTTP/2 connection with prior knowledge starts;
// gRPC clients open plaintext connections so.
var http2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// Plain returns two listeners that share the connections of ln by their
// first bytes: those that begin with the HTTP/2 preface (gRPC) go to grpc,
// for grpc.Server's own transport, which is much faster than
// grpc.Server.ServeHTTP; all others (HTTP/1.x: REST, the portal) go to web,
// with net/http's own refusals rewritten by Config.Refusal. A connection
// that sends nothing within Config.FirstBytes is closed; one that sends
// part of the preface and stops goes to web.
//
// The listeners end when ln is closed; closing one of them stops only its
// side, whose connections are then closed.
func (g *Gate) Plain(ln net.Listener) (grpc, web net.Listener) {
	s := &splitter{gate: g, grpc: newSide(ln.Addr(), nil), web: newSide(ln.Addr(), nil)}
	go s.run(g.acceptor(ln))
	return s.grpc, s.web
}

type splitter struct {
	gate      *Gate
	grpc, web *side
}

func (s *splitter) run(a *acceptor) {
	for {
		c, err := a.Accept()
		if err != nil { // the acceptor returns only once closed
			s.grpc.fail(err)
			s.web.fail(err)
			return
		}
		go s.sort(c)
	}
}

// sort hands c to the side its first bytes call for.
func (s *splitter) sort(c net.Conn) {
	head, h2 := sniff(c, s.gate.cfg.FirstBytes)
	switch {
	case len(head) == 0:
		c.Close()
	case h2:
		s.grpc.deliver(&replayConn{Conn: c, head: head})
	default:
		s.web.deliver(s.gate.refusals(&replayConn{Conn: c, head: head}))
	}
}

// sniff reads the first bytes of c until they are the HTTP/2 preface or can
// no longer become it, waiting at most d (0: no bound) in all, and returns
// them. An HTTP/1.x request shorter than the preface is thus sorted at its
// first byte, not when the wait runs out.
func sniff(c net.Conn, d time.Duration) (head []byte, h2 bool) {
	if d > 0 {
		c.SetReadDeadline(time.Now().Add(d))
		defer c.SetReadDeadline(time.Time{})
	}
	buf := make([]byte, len(http2Preface))
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if !bytes.HasPrefix(http2Preface, buf[:n]) || err != nil {
			return buf[:n], false
		}
	}
	return buf, true
}

// replayConn replays the bytes read to sort a connection before the rest
// of it.
type replayConn struct {
	net.Conn
	head []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *replayConn) CloseWrite() error { return closeWrite(c.Conn) }
