// Package fetch downloads images from URLs given by untrusted callers, and
// is the only outbound HTTP client of Clavis. It refuses to become a way
// into the network it runs in.
//
// A URL must use http or https, carry no credentials (user:pass@), and name
// port 80 or 443 (or no port). Its host must be a DNS name or an IP address
// in standard form; numeric spellings such as 2130706433, 0177.0.0.1,
// 0x7f.1 and 127.1 — any host whose last label is a number — are refused
// outright, since resolvers disagree about what they mean.
//
// Every connection, including those made while following redirects, is
// checked when it is dialled: the host is resolved once, every address it
// resolves to must pass the address rule (one refused address refuses the
// host), and the connection is made to the checked address itself, so a
// resolver that answers differently on a second lookup gains nothing. The
// address rule refuses loopback, private, link-local, shared (CGNAT),
// documentation, benchmarking, multicast, broadcast, reserved and other
// special-purpose ranges of IPv4 and IPv6, and cloud metadata addresses;
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry, and
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses by their embedded
// IPv4 address. Outside those two, only IPv6 global unicast (2000::/3) is
// accepted, and Teredo and the other 2001::/23 assignments are not.
//
// Redirects are followed at most Config.MaxRedirects times, and each target
// passes the same URL rules before it is dialled. The whole fetch is bounded
// by Config.Timeout and the body by Config.MaxBytes; a body that does not
// start like a JPEG, PNG, GIF, WebP or BMP image is refused. Requests carry a
// fixed User-Agent and no Authorization, Cookie or Referer header, and no
// proxy is taken from the environment.
//
// Operators lift rules with Config.Allow, whose entries take three forms:
//
//   - "host" (a DNS name) lifts the address rule for URLs naming exactly that
//     host on port 80 or 443, whatever it resolves to. A bare IP address
//     ("10.1.2.3", "fd00::5") is read as a CIDR holding that one address.
//   - "host:port" ("images.lan:8080", "127.0.0.1:9000", "[fd00::5]:8080")
//     lifts the address rule and the port rule for URLs naming exactly that
//     host and that port. The host is matched as written in the URL (after
//     lower-casing, and reading an IPv4-mapped address as IPv4), never by
//     what it resolves to: "127.0.0.1:9000" does not admit
//     http://localhost:9000/.
//   - a CIDR ("10.0.0.0/8", "fd00::/8") lifts the address rule for addresses
//     inside it, on port 80 or 443.
//
// Nothing else is lifted: scheme, credentials, host spelling, redirects and
// limits still apply, and the unspecified, multicast and broadcast addresses
// are refused even when an entry covers them.
//
// Fetch reports errors as *clavis.Error: clavis.EInputURL for a URL refused
// by its shape, clavis.EInputTooLarge for a body over the limit, and
// clavis.EInputDownload for everything refused or failed while fetching,
// with one generic message and the reason in Cause, for the log only.
package fetch
