package listen

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// TLS returns a listener of the connections of ln after their TLS handshake
// with cfg, which must finish within Config.FirstBytes. Failed handshakes
// are closed and logged at a bounded rate (net/http, handshaking itself,
// would log each one); a plaintext HTTP request is answered with a
// Config.Refusal body. Connections that negotiated "h2" are returned as
// *tls.Conn, for net/http's HTTP/2 server; the others are HTTP/1.x, wrapped
// to have net/http's own refusals rewritten, and still report their
// ConnectionState so that Request.TLS is set.
//
// Closing the listener closes ln.
func (g *Gate) TLS(ln net.Listener, cfg *tls.Config) net.Listener {
	a := g.acceptor(ln)
	out := newSide(ln.Addr(), a.Close)
	go func() {
		for {
			c, err := a.Accept()
			if err != nil { // the acceptor returns only once closed
				out.fail(err)
				return
			}
			go g.handshake(c, cfg, out)
		}
	}()
	return out
}

func (g *Gate) handshake(c net.Conn, cfg *tls.Config, out *side) {
	if d := g.cfg.FirstBytes; d > 0 {
		c.SetDeadline(time.Now().Add(d))
	}
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		var rhe tls.RecordHeaderError
		if errors.As(err, &rhe) && rhe.Conn != nil && looksLikeHTTP(string(rhe.RecordHeader[:])) && g.cfg.Refusal != nil {
			const reason = "plain HTTP sent to the TLS port: use https://"
			g.refuse(c, http.StatusBadRequest, reason)
			writeRefusal(rhe.Conn, http.StatusBadRequest, g.cfg.Refusal(reason))
		} else {
			g.handshakeFailed.add(slog.String("remote", c.RemoteAddr().String()), slog.String("err", err.Error()))
			g.observeConn("tls_handshake")
		}
		c.Close()
		return
	}
	c.SetDeadline(time.Time{})
	if tc.ConnectionState().NegotiatedProtocol == "h2" || g.cfg.Refusal == nil {
		out.deliver(tc)
		return
	}
	out.deliver(&tlsRefusalConn{refusalConn: refusalConn{Conn: tc, gate: g}, tls: tc})
}

// looksLikeHTTP reports whether the first five bytes of a connection that
// failed its TLS handshake start an HTTP/1.x request.
func looksLikeHTTP(head string) bool {
	for _, m := range []string{"GET ", "HEAD ", "POST ", "PUT ", "PATCH ", "DELETE ", "OPTIONS "} {
		if strings.HasPrefix(m, head) || strings.HasPrefix(head, m) {
			return true
		}
	}
	return false
}

// tlsRefusalConn is an HTTP/1.x connection over TLS with its refusals
// rewritten.
type tlsRefusalConn struct {
	refusalConn
	tls *tls.Conn
}

// ConnectionState makes net/http treat the connection as TLS: it sets
// Request.TLS from it.
func (c *tlsRefusalConn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }
