package listen

import (
	"net"
	"sync"
)

// side is a listener fed by a goroutine that sorts or handshakes the
// connections of another listener.
type side struct {
	addr        net.Addr
	conns       chan net.Conn
	done        chan struct{}
	once        sync.Once
	err         error
	closeParent func() error // nil: closing the side leaves the parent open
}

func newSide(addr net.Addr, closeParent func() error) *side {
	return &side{addr: addr, conns: make(chan net.Conn), done: make(chan struct{}), closeParent: closeParent}
}

// deliver hands c to Accept, or closes it once the side is closed.
func (l *side) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// fail ends the side: Accept returns err from now on.
func (l *side) fail(err error) {
	l.once.Do(func() { l.err = err; close(l.done) })
}

func (l *side) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

func (l *side) Close() error {
	l.fail(net.ErrClosed)
	if l.closeParent != nil {
		return l.closeParent()
	}
	return nil
}

func (l *side) Addr() net.Addr { return l.addr }
