package clientaddr

import (
	"fmt"
	"net/netip"
	"strings"
)

// maxHops bounds the X-Forwarded-For entries Resolve reads, from the right.
const maxHops = 64

// Trusted is the set of reverse proxies whose X-Forwarded-For a server
// believes. A nil *Trusted trusts no one: every method is safe on it, and
// Resolve then always returns the peer's own address.
type Trusted struct {
	prefixes []netip.Prefix
}

// Parse reads a list of trusted proxies: IPv4 and IPv6 CIDRs or single
// addresses; IPv4-mapped IPv6 forms (::ffff:10.0.0.0/104) are read as the
// IPv4 prefix they map. An empty list gives nil, which trusts no one.
func Parse(entries []string) (*Trusted, error) {
	var t Trusted
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or fd00::/8", e)
		}
		t.prefixes = append(t.prefixes, p)
	}
	if len(t.prefixes) == 0 {
		return nil, nil
	}
	return &t, nil
}

// ParsePrefix reads a CIDR or a single address (a /32 or /128) in its
// canonical form: masked, and an IPv4-mapped IPv6 prefix as the IPv4 prefix
// it maps.
func ParsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, err
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return p, err
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// String lists the prefixes, comma-separated.
func (t *Trusted) String() string {
	if t == nil {
		return ""
	}
	s := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// trusts reports whether a is one of the trusted proxies.
func (t *Trusted) trusts(a netip.Addr) bool {
	if t == nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of a request that came from peer (an
// address without port, as the connection shows it) carrying the
// X-Forwarded-For values xff (each a comma-separated list; several header
// lines are read in order as one list).
//
// When peer is not a trusted proxy, or nothing is forwarded, the answer is
// peer itself: a client cannot choose its address by sending the header.
// Otherwise the list is read from the right, the end the trusted proxies
// append to, and the answer is the first address that is not a trusted
// proxy: the rightmost untrusted hop, the last one a trusted proxy saw.
// Entries may carry a port (192.0.2.1:5555, [2001:db8::1]:443). A list made
// only of trusted proxies gives its leftmost address. An entry that is not
// an address ends the walk at the trusted proxy that wrote it, whose
// address is then the answer. Addresses read from the header come back
// canonical, IPv4-mapped IPv6 ones as IPv4.
func (t *Trusted) Resolve(peer string, xff []string) string {
	if t == nil || len(xff) == 0 {
		return peer
	}
	pa, err := netip.ParseAddr(peer)
	if err != nil || !t.trusts(pa) {
		return peer
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	last := peer // the trusted hop that wrote the entry being read
	for i, n := len(hops)-1, 0; i >= 0 && n < maxHops; i, n = i-1, n+1 {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a, ok := parseHop(h)
		if !ok {
			return last
		}
		s := a.String()
		if !t.trusts(a) {
			return s
		}
		last = s
	}
	return last
}

// parseHop reads one X-Forwarded-For entry: an address, with or without a
// port.
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}
