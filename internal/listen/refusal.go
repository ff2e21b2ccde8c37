package listen

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// cannedHeaders follow the status line of the answers net/http writes on its
// own, straight to the connection, when it cannot read a request: a
// malformed request line, path escape or header, headers over
// MaxHeaderBytes, an unknown transfer coding (conn.serve in
// net/http/server.go). net/http runs no handler for these requests and has
// no hook for them, so rewriting that one write is the one place they can
// be answered in the API's shape. Checking requests in front of net/http
// instead would take a second HTTP parser that must agree with net/http's
// on every byte; this depends only on the form of those answers, which a
// test pins.
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// maxCanned bounds the writes taken for canned answers, which are short;
// handlers' answers always carry a Date header, so they never match.
const maxCanned = 512

// refusals returns c with its canned refusals rewritten, if the Gate has a
// Refusal.
func (g *Gate) refusals(c net.Conn) net.Conn {
	if g.cfg.Refusal == nil {
		return c
	}
	return &refusalConn{Conn: c, gate: g}
}

// refusalConn rewrites the canned answers net/http writes to it.
type refusalConn struct {
	net.Conn
	gate *Gate
}

func (c *refusalConn) Write(p []byte) (int, error) {
	status, text, ok := parseCanned(p)
	if !ok {
		return c.Conn.Write(p)
	}
	reason := c.gate.reason(status, text)
	c.gate.refuse(c.Conn, status, reason)
	if err := writeRefusal(c.Conn, status, c.gate.cfg.Refusal(reason)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// refuse logs, at a bounded rate, and reports a request that c's server
// refuses with status before any handler runs: it has no access line of its
// own, since no handler sees it.
func (g *Gate) refuse(c net.Conn, status int, reason string) {
	g.refused.add(slog.Int("status", status), slog.String("reason", reason), slog.String("remote", c.RemoteAddr().String()))
	if g.cfg.Observer != nil {
		g.cfg.Observer.ObserveRefusal(status)
	}
}

func (c *refusalConn) CloseWrite() error { return closeWrite(c.Conn) }

// parseCanned returns the status of a canned answer and net/http's reason,
// "" when it gave none, or false if p is not a canned answer.
func parseCanned(p []byte) (status int, text string, ok bool) {
	if len(p) > maxCanned {
		return 0, "", false
	}
	rest, found := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !found {
		return 0, "", false
	}
	line, body, found := bytes.Cut(rest, []byte(cannedHeaders))
	if !found || len(line) < 3 || bytes.ContainsAny(line, "\r\n") {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(line[:3]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	// The body repeats the status line, with net/http's reason after ": "
	// when it has one ("400 Bad Request: invalid header name"), or is the
	// reason alone ("Unsupported transfer encoding").
	text = string(body)
	if t, found := strings.CutPrefix(text, string(line[:3])+" "+http.StatusText(status)); found {
		text = strings.TrimPrefix(t, ": ")
	}
	return status, text, true
}

// reason says in words why a request was refused with status.
func (g *Gate) reason(status int, text string) string {
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge && g.cfg.MaxHeaderBytes > 0:
		return fmt.Sprintf("the request headers are over %d bytes", g.cfg.MaxHeaderBytes)
	case status == http.StatusRequestHeaderFieldsTooLarge:
		return "the request headers are too large"
	case text != "":
		return "malformed request: " + strings.ToLower(text[:1]) + text[1:]
	default:
		return "malformed request: the request line, the path or a header cannot be parsed"
	}
}

// writeRefusal writes a complete HTTP/1.1 answer with a JSON body, after
// which the connection closes.
func writeRefusal(w io.Writer, status int, body []byte) error {
	_, err := fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
	return err
}
