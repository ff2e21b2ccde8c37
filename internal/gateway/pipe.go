package gateway

import (
	"context"
	"net"
	"sync"
)

// pipeListener is an in-memory net.Listener: dial hands one end of a
// net.Pipe to Accept. The gateway serves the gRPC server on it, so REST calls
// take the same path as network gRPC calls, interceptors included, without
// a loopback socket.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial connects to the listener; it is the gRPC client's context dialer.
func (l *pipeListener) dial(ctx context.Context, _ string) (net.Conn, error) {
	s, client := net.Pipe()
	server := pipeConn{s}
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		server.Close()
		client.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		server.Close()
		client.Close()
		return nil, ctx.Err()
	}
}

// pipeConn is the server's end of an in-process connection; its remote
// address, pipeAddr, tells the server's interceptors that a call came
// through the gateway (see Relayed).
type pipeConn struct{ net.Conn }

func (pipeConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (pipeConn) RemoteAddr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }
