package fetch

import (
	"net/netip"
)

// rangeRule names a refused range and why it is refused, for the log.
type rangeRule struct {
	prefix netip.Prefix
	why    string
}

func rules(pairs ...string) []rangeRule {
	rs := make([]rangeRule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rangeRule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return rs
}

// refused4 lists the IPv4 ranges that are not public unicast (the IANA
// special-purpose registry, plus multicast and the reserved class E). The
// first match gives the reason, so narrower entries come first.
var refused4 = rules(
	"169.254.169.254/32", "cloud metadata",
	"255.255.255.255/32", "broadcast",
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "shared address space (CGNAT)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignments",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved",
)

// refused6 lists the IPv6 ranges refused before the global unicast test.
// IPv4-mapped, NAT64 and 6to4 addresses are handled apart, by the IPv4
// address they carry.
var refused6 = rules(
	"fd00:ec2::254/128", "cloud metadata",
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "IPv4-compatible",
	"64:ff9b:1::/48", "local-use NAT64",
	"100::/64", "discard-only",
	"2001::/32", "Teredo",
	"2001:db8::/32", "documentation",
	"2001::/23", "IETF protocol assignments",
	"3fff::/20", "documentation",
	"fc00::/7", "unique local",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	global6   = netip.MustParsePrefix("2000::/3")
	broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

// addressRefusal returns why the address rule refuses a, or "" when a is a
// public unicast address.
func addressRefusal(a netip.Addr) string {
	if a.Zone() != "" {
		return "scoped (zoned) address"
	}
	if a.Is4() {
		return match(refused4, a)
	}
	if a.Is4In6() {
		if why := addressRefusal(a.Unmap()); why != "" {
			return "IPv4-mapped " + why
		}
		return ""
	}
	b := a.As16()
	if nat64.Contains(a) {
		if why := addressRefusal(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "NAT64 of " + why
		}
		return ""
	}
	if sixToFour.Contains(a) {
		if why := addressRefusal(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 of " + why
		}
		return ""
	}
	if why := match(refused6, a); why != "" {
		return why
	}
	if !global6.Contains(a) {
		return "not global unicast"
	}
	return ""
}

func match(rs []rangeRule, a netip.Addr) string {
	for _, r := range rs {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	return ""
}

// alwaysRefused reports whether a may never be dialled, even when an Allow
// entry covers it: connecting to the unspecified address reaches the local
// host, and multicast and broadcast are not destinations for a download.
func alwaysRefused(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsUnspecified() || a.IsMulticast() || a == broadcast
}
