package fetch

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// hostPort is a canonical host and a port.
type hostPort struct {
	host string
	port uint16
}

// allowList holds the parsed Config.Allow entries. The zero value allows
// nothing.
type allowList struct {
	hosts     map[string]bool   // "host": address rule lifted on ports 80 and 443
	hostPorts map[hostPort]bool // "host:port": address and port rules lifted
	prefixes  []netip.Prefix    // CIDR: address rule lifted on ports 80 and 443
}

// parseAllow parses Config.Allow entries. An error names the first bad
// entry.
func parseAllow(entries []string) (allowList, error) {
	al := allowList{hosts: map[string]bool{}, hostPorts: map[hostPort]bool{}}
	for _, e := range entries {
		if err := al.add(strings.TrimSpace(e)); err != nil {
			return allowList{}, fmt.Errorf("fetch: bad allow entry %q: %w", e, err)
		}
	}
	return al, nil
}

func (al *allowList) add(e string) error {
	switch {
	case e == "":
		return fmt.Errorf("empty")
	case strings.Contains(e, "://"):
		return fmt.Errorf("want host, host:port or CIDR, not a URL")
	case strings.Contains(e, "/"):
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return fmt.Errorf("not a CIDR: %w", err)
		}
		if p != p.Masked() {
			return fmt.Errorf("CIDR has host bits set; did you mean %s?", p.Masked())
		}
		al.prefixes = append(al.prefixes, unmapPrefix(p))
		return nil
	}
	bare := e
	if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
		bare = e[1 : len(e)-1]
	}
	if a, err := netip.ParseAddr(bare); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("zoned addresses cannot be allowed")
		}
		a = a.Unmap()
		al.prefixes = append(al.prefixes, netip.PrefixFrom(a, a.BitLen()))
		return nil
	}
	if h, p, err := net.SplitHostPort(e); err == nil {
		host, err := canonicalHost(h)
		if err != nil {
			return err
		}
		port, err := parsePort(p)
		if err != nil {
			return err
		}
		al.hostPorts[hostPort{host, port}] = true
		return nil
	}
	host, err := canonicalHost(e)
	if err != nil {
		return err
	}
	al.hosts[host] = true
	return nil
}

// unmapPrefix turns a prefix inside ::ffff:0:0/96 into the IPv4 prefix it
// denotes, since addresses are unmapped before they are matched.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// portAllowed reports whether the port rule admits port for host.
func (al allowList) portAllowed(host string, port uint16) bool {
	return standardPort(port) || al.hostPorts[hostPort{host, port}]
}

// addressLifted reports whether an entry lifts the address rule for a
// connection to a, resolved from host, on port. The port rule has admitted
// port already, so unless a "host:port" entry names it, port is 80 or 443.
func (al allowList) addressLifted(host string, port uint16, a netip.Addr) bool {
	if al.hostPorts[hostPort{host, port}] {
		return true
	}
	if al.hosts[host] {
		return true
	}
	a = a.Unmap()
	for _, p := range al.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
