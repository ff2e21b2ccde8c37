package auth

import (
	"net/netip"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/clientaddr"
)

// ParseAllowlist parses a key's client address allowlist: IPv4 and IPv6
// CIDRs, or single addresses (a /32 or /128). IPv4-mapped IPv6 forms
// (::ffff:192.0.2.0/120) are read as the IPv4 prefix they map. It returns
// the canonical prefixes, or an EInvalid error naming the first bad entry.
func ParseAllowlist(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		p, err := clientaddr.ParsePrefix(strings.TrimSpace(e))
		if err != nil {
			return nil, clavis.Errorf(clavis.EInvalid, "allowed_cidrs: %q is not an IPv4 or IPv6 address or CIDR such as 192.0.2.0/24 or 2001:db8::/32", e)
		}
		if s := p.String(); !contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// AllowedFrom reports whether a client address is within an allowlist
// (canonical prefixes, as ParseAllowlist returns). An empty list allows
// every address; an address that cannot be read is refused (fail closed).
func AllowedFrom(allow []string, addr string) bool {
	if len(allow) == 0 {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, s := range allow {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}
