package clientaddr_test

import (
	"testing"

	"github.com/clavis-dev/clavis/internal/clientaddr"
)

func TestResolve(t *testing.T) {
	tr, err := clientaddr.Parse([]string{"10.0.0.0/8", "fd00::/8", "::ffff:192.0.2.1", " "})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"NoHeader", "10.0.0.1", nil, "10.0.0.1"},
		{"IPv4", "10.0.0.1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"IPv6", "fd00::1", []string{"2001:db8::7"}, "2001:db8::7"},
		{"MappedPeer", "::ffff:10.1.2.3", []string{"198.51.100.7"}, "198.51.100.7"},
		{"MappedHop", "10.0.0.1", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"MappedTrustedEntry", "192.0.2.1", []string{"203.0.113.9"}, "203.0.113.9"},
		{"Ports", "10.0.0.1", []string{"198.51.100.7:4711"}, "198.51.100.7"},
		{"BracketedIPv6", "10.0.0.1", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"RightmostUntrusted", "10.0.0.1", []string{"203.0.113.66, 198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"SeveralLines", "10.0.0.1", []string{"203.0.113.66", "198.51.100.7", "10.0.0.2"}, "198.51.100.7"},
		{"AllTrusted", "10.0.0.1", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"Garbage", "10.0.0.1", []string{"203.0.113.66, not-an-address"}, "10.0.0.1"},
		{"GarbageLeftOfTrusted", "10.0.0.1", []string{"junk, 10.0.0.2"}, "10.0.0.2"},
		// Spoofing: an untrusted peer's header is ignored, whatever it says.
		{"UntrustedPeer", "198.51.100.7", []string{"10.0.0.1"}, "198.51.100.7"},
		{"UntrustedIPv6Peer", "2001:db8::7", []string{"127.0.0.1"}, "2001:db8::7"},
		{"UntrustedMappedPeer", "::ffff:198.51.100.7", []string{"10.0.0.1"}, "::ffff:198.51.100.7"},
		{"UnreadablePeer", "in-process", []string{"10.0.0.1"}, "in-process"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := tr.Resolve(c.peer, c.xff); got != c.want {
				t.Errorf("Resolve(%q, %q) = %q, want %q", c.peer, c.xff, got, c.want)
			}
		})
	}
	var none *clientaddr.Trusted
	if got := none.Resolve("10.0.0.1", []string{"198.51.100.7"}); got != "10.0.0.1" {
		t.Errorf("no trusted proxies: Resolve = %q", got)
	}
	if got, err := clientaddr.Parse(nil); got != nil || err != nil {
		t.Errorf("Parse(nil) = %v, %v", got, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com"} {
		if _, err := clientaddr.Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
