package fetch

import "net/netip"

// AddressRefusal exposes the address rule to the external tests, which
// cannot reach some of its branches through Fetch (addresses are unmapped
// before it sees them).
func AddressRefusal(a netip.Addr) string { return addressRefusal(a) }
