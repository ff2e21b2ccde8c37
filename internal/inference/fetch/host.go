package fetch

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

var (
	errNumericHost = errors.New("host is a number in a non-standard spelling")
	errBadHost     = errors.New("host is not a valid host name or IP address")
	errBadPort     = errors.New("port is not a number from 1 to 65535 in standard form")
)

// canonicalHost returns the form of host (without brackets) that rules are
// matched against: an IP address in netip's standard form, IPv4-mapped
// addresses unmapped, or a lower-case DNS name without its trailing dot.
// It refuses zoned addresses, names that are not letters, digits, hyphens
// and underscores in dot-separated labels, and names whose last label is a
// number — the decimal, octal, hexadecimal and short spellings of IPv4
// addresses that inet_aton and browsers accept.
func canonicalHost(host string) (string, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", errBadHost
		}
		return a.Unmap().String(), nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "" || len(name) > 253 {
		return "", errBadHost
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", errBadHost
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", errBadHost
			}
		}
	}
	if isNumber(labels[len(labels)-1]) {
		return "", errNumericHost
	}
	return name, nil
}

// isNumber reports whether label reads as a number in the IPv4 parser of
// the WHATWG URL standard: all decimal digits, or "0x" and hex digits.
func isNumber(label string) bool {
	digits, isHex := label, false
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		digits, isHex = label[2:], true
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		switch {
		case '0' <= c && c <= '9':
		case isHex && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		default:
			return false
		}
	}
	return isHex || digits != ""
}

// parsePort parses a port written in standard form (no sign, no leading
// zeros) from 1 to 65535.
func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != s {
		return 0, errBadPort
	}
	return uint16(n), nil
}

// standardPort reports whether the port rule admits port without an Allow
// entry.
func standardPort(port uint16) bool { return port == 80 || port == 443 }
