package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// refusedError is a connection the address or port rule refused.
type refusedError struct {
	what string // "host:port" or "ip:port" being refused
	why  string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("fetch: refused to connect to %s: %s", e.what, e.why)
}

// dialContext is the Transport's DialContext. address is the host and port
// of a URL that passed checkURL (no proxy is ever used). It checks the port
// rule, resolves the host once, refuses the host if any of its addresses is
// refused, and connects to the checked addresses themselves, so that no
// second lookup can change where the connection goes.
func (f *Fetcher) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	host, err := canonicalHost(h)
	if err != nil {
		return nil, &refusedError{address, err.Error()}
	}
	port, err := parsePort(p)
	if err != nil {
		return nil, &refusedError{address, err.Error()}
	}
	if !f.allow.portAllowed(host, port) {
		return nil, &refusedError{address, "port not allowed"}
	}
	addrs, err := f.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if err := f.checkAddr(host, port, a); err != nil {
			if len(addrs) > 1 {
				err.what = fmt.Sprintf("%s (one of %d addresses of %s)", err.what, len(addrs), host)
			}
			return nil, err
		}
	}
	var errs []error
	for _, a := range addrs {
		conn, err := f.dialAddr(ctx, host, netip.AddrPortFrom(a, port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// lookup returns the addresses of host, unmapped: host itself when it is an
// IP address, else what the resolver answers.
func (f *Fetcher) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	ipas, err := f.resolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("fetch: looking up %s: %w", host, err)
	}
	if len(ipas) == 0 {
		return nil, fmt.Errorf("fetch: looking up %s: no addresses", host)
	}
	addrs := make([]netip.Addr, 0, len(ipas))
	for _, ipa := range ipas {
		a, ok := netip.AddrFromSlice(ipa.IP)
		if !ok {
			return nil, fmt.Errorf("fetch: looking up %s: bad address %v", host, ipa.IP)
		}
		addrs = append(addrs, a.Unmap().WithZone(ipa.Zone))
	}
	return addrs, nil
}

// checkAddr applies the address rule, with the Allow entries, to a
// connection to a, resolved from host, on port.
func (f *Fetcher) checkAddr(host string, port uint16, a netip.Addr) *refusedError {
	what := netip.AddrPortFrom(a, port).String()
	if host != a.String() {
		what = host + " at " + what
	}
	if alwaysRefused(a) {
		return &refusedError{what, "unspecified, multicast or broadcast address"}
	}
	if why := addressRefusal(a); why != "" && !f.allow.addressLifted(host, port, a) {
		return &refusedError{what, why}
	}
	return nil
}

// dialAddr connects to ap, an address checked for host. The default dialer
// checks the address again in its Control hook, just before connecting: a
// backstop should anything between here and the socket change it.
func (f *Fetcher) dialAddr(ctx context.Context, host string, ap netip.AddrPort) (net.Conn, error) {
	if f.dial != nil {
		return f.dial(ctx, "tcp", ap.String())
	}
	d := net.Dialer{
		Control: func(_, address string, _ syscall.RawConn) error {
			got, err := netip.ParseAddrPort(address)
			if err != nil {
				return &refusedError{address, "unparsable dial address"}
			}
			if got.Addr().Unmap() != ap.Addr() || got.Port() != ap.Port() {
				return &refusedError{address, "dial address differs from the checked " + ap.String()}
			}
			if err := f.checkAddr(host, got.Port(), got.Addr().Unmap()); err != nil {
				return err
			}
			return nil
		},
	}
	return d.DialContext(ctx, "tcp", ap.String())
}
