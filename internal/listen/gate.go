package listen

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// DefaultLogEvery is the shortest time between two log lines about one kind
// of recurring event when Config.LogEvery is zero.
const DefaultLogEvery = 10 * time.Second

// Config is the configuration of a Gate.
type Config struct {
	// MaxConns caps the connections open at once on all the Gate's
	// listeners, counting those whose protocol is not known yet; 0 means
	// no cap.
	MaxConns int
	// MaxConnsPerAddr caps the connections open at once from one client
	// address (for IPv6, one /64 network, which one client usually holds
	// whole); 0 means no cap.
	MaxConnsPerAddr int
	// FirstBytes bounds the time a new connection has to show its protocol:
	// to send its first bytes on a plaintext listener, to finish its
	// handshake on a TLS listener. 0 means no bound.
	FirstBytes time.Duration
	// Refusal, when set, returns the JSON body that answers an HTTP/1.x
	// request net/http refuses before any handler runs (a malformed request
	// line, header or path, headers over the limit), given the reason in
	// words. Nil leaves net/http's plain-text answers alone.
	Refusal func(reason string) []byte
	// MaxHeaderBytes is the header limit of the HTTP servers behind the
	// Gate, named in the answer to requests over it; 0 names no number.
	MaxHeaderBytes int
	// Log receives the Gate's warnings, at most one line per kind of event
	// and LogEvery; nil discards them.
	Log *slog.Logger
	// LogEvery is that interval; 0 means DefaultLogEvery.
	LogEvery time.Duration
	// Observer, when set, receives every connection and request the Gate
	// refuses, for metrics.
	Observer Observer
}

// Observer receives what a Gate refuses.
type Observer interface {
	// ObserveConnRefused records a connection closed at once: over a cap
	// ("cap_total", "cap_per_addr") or for a failed TLS handshake
	// ("tls_handshake").
	ObserveConnRefused(reason string)
	// ObserveRefusal records a request answered with status before any
	// handler ran: net/http's own refusals, rewritten, and plain HTTP sent
	// to the TLS port.
	ObserveRefusal(status int)
}

// A Gate admits the connections of a server's listeners (see Plain and TLS)
// under caps they share, and logs their trouble at a bounded rate. It is
// safe for concurrent use.
type Gate struct {
	cfg Config

	mu      sync.Mutex
	open    int
	perAddr map[netip.Prefix]int

	acceptFailed, overCap, handshakeFailed, refused *rateLog
}

// New returns a Gate with the configuration cfg.
func New(cfg Config) *Gate {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = DefaultLogEvery
	}
	rl := func(msg string) *rateLog { return &rateLog{log: cfg.Log, every: cfg.LogEvery, msg: msg} }
	return &Gate{
		cfg:             cfg,
		perAddr:         map[netip.Prefix]int{},
		acceptFailed:    rl("accept failed; retrying"),
		overCap:         rl("connections refused over the cap"),
		handshakeFailed: rl("TLS handshakes failed"),
		refused:         rl("requests refused before any handler"),
	}
}

// Open returns how many connections are open on the Gate's listeners,
// counting those whose protocol is not known yet.
func (g *Gate) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// observeConn reports a refused connection to the Observer, if any.
func (g *Gate) observeConn(reason string) {
	if g.cfg.Observer != nil {
		g.cfg.Observer.ObserveConnRefused(reason)
	}
}

// acceptor is a listener whose Accept outlives every error but a closed
// listener, and admits connections through its Gate.
type acceptor struct {
	net.Listener
	gate      *Gate
	done      chan struct{}
	closeOnce sync.Once
}

func (g *Gate) acceptor(ln net.Listener) *acceptor {
	return &acceptor{Listener: ln, gate: g, done: make(chan struct{})}
}

// Accept returns the next connection the caps admit. Connections over a cap
// are closed at once. Errors other than a closed listener (out of file
// descriptors, above all) are retried with net/http's backoff, 5 ms doubling
// to 1 s: the descriptors come back when connections close, and a listener
// that gave up would leave the server alive but deaf for good.
func (a *acceptor) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := a.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			a.gate.acceptFailed.add(slog.String("addr", a.Addr().String()), slog.String("err", err.Error()))
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-a.done:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		delay = 0
		if ac := a.gate.admit(c); ac != nil {
			return ac, nil
		}
	}
}

// Close closes the listener; a pending Accept returns net.ErrClosed.
func (a *acceptor) Close() error {
	a.closeOnce.Do(func() { close(a.done) })
	return a.Listener.Close()
}

// admit returns c wrapped to hold a place under the caps until it is closed,
// or closes c and returns nil when a cap is reached.
func (g *Gate) admit(c net.Conn) net.Conn {
	key, keyed := addrKey(c.RemoteAddr())
	g.mu.Lock()
	which, limit := "", 0
	switch {
	case g.cfg.MaxConns > 0 && g.open >= g.cfg.MaxConns:
		which, limit = "total", g.cfg.MaxConns
	case keyed && g.cfg.MaxConnsPerAddr > 0 && g.perAddr[key] >= g.cfg.MaxConnsPerAddr:
		which, limit = "per_addr", g.cfg.MaxConnsPerAddr
	default:
		g.open++
		if keyed {
			g.perAddr[key]++
		}
	}
	g.mu.Unlock()
	if which == "" {
		return &countedConn{Conn: c, gate: g, key: key, keyed: keyed}
	}
	// Recorded before the close, which the client sees.
	g.overCap.add(slog.String("cap", which), slog.Int("limit", limit), slog.String("remote", c.RemoteAddr().String()))
	g.observeConn("cap_" + which)
	if tc, ok := c.(*net.TCPConn); ok {
		// A reset leaves no closing state behind for a flood to pile up.
		tc.SetLinger(0)
	}
	c.Close()
	return nil
}

func (g *Gate) release(key netip.Prefix, keyed bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open--
	if keyed {
		if g.perAddr[key]--; g.perAddr[key] <= 0 {
			delete(g.perAddr, key)
		}
	}
}

// addrKey returns the network a client address counts under: the address
// itself for IPv4, its /64 for IPv6. Addresses that are not TCP (pipes in
// tests) have none.
func addrKey(a net.Addr) (netip.Prefix, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// countedConn holds a place under its Gate's caps until it is closed.
type countedConn struct {
	net.Conn
	gate  *Gate
	key   netip.Prefix
	keyed bool
	once  sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.gate.release(c.key, c.keyed) })
	return err
}

func (c *countedConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c when it can. net/http does so after an error
// answer and before closing, so that the client reads the answer rather
// than a reset; every wrapper passes it on.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
