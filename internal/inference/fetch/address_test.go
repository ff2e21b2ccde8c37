package fetch_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/fetch"
)

// TestFetchLoopbackWithoutAllow fetches a real loopback server with no Allow
// entry: it must be refused, and the server must see nothing.
func TestFetchLoopbackWithoutAllow(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serve(pngBytes(t)))
	_, port := srv.hostPort(t)
	res := &resolver{names: map[string][]string{"localhost": {"127.0.0.1"}, "loop.test": {"127.0.0.1", "::1"}}}

	t.Run("AsGiven", func(t *testing.T) {
		f := newFetcher(t, fetch.Config{Resolver: res})
		for _, u := range []string{
			srv.URL + "/",
			fmt.Sprintf("http://localhost:%d/", port),
			fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port),
		} {
			_, err := f.Fetch(context.Background(), u)
			wantError(t, err, clavis.EInputURL) // the port rule refuses it first
		}
	})
	t.Run("OnPort80", func(t *testing.T) {
		// The dialer would forward port 80 to the server; the address
		// rule must stop the fetch before it is called.
		d := &dialer{to: strings.TrimPrefix(srv.URL, "http://")}
		f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
		for _, u := range []string{"http://127.0.0.1/", "http://localhost/", "http://loop.test/", "http://[::1]/"} {
			_, err := f.Fetch(context.Background(), u)
			wantGeneric(t, err)
		}
		if got := d.dialled(); len(got) != 0 {
			t.Errorf("dialled %v, want nothing", got)
		}
	})
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("loopback server got %d requests, want 0", n)
	}
}

var refusedAddresses = []struct{ ip, why string }{
	{"0.0.0.0", "unspecified"},
	{"0.1.2.3", "this network"},
	{"10.0.0.1", "private"},
	{"10.255.255.255", "private"},
	{"100.64.0.1", "CGNAT"},
	{"100.127.255.254", "CGNAT"},
	{"127.0.0.1", "loopback"},
	{"127.255.255.254", "loopback"},
	{"169.254.0.1", "link-local"},
	{"169.254.169.254", "metadata"},
	{"172.16.0.1", "private"},
	{"172.31.255.255", "private"},
	{"192.0.0.1", "IETF protocol assignments"},
	{"192.0.0.170", "NAT64 discovery"},
	{"192.0.2.1", "TEST-NET-1"},
	{"192.88.99.1", "6to4 relay"},
	{"192.168.1.1", "private"},
	{"198.18.0.1", "benchmarking"},
	{"198.19.255.255", "benchmarking"},
	{"198.51.100.1", "TEST-NET-2"},
	{"203.0.113.1", "TEST-NET-3"},
	{"224.0.0.1", "multicast"},
	{"239.255.255.250", "multicast"},
	{"240.0.0.1", "reserved"},
	{"255.255.255.255", "broadcast"},
	{"::", "unspecified"},
	{"::1", "loopback"},
	{"::ffff:127.0.0.1", "IPv4-mapped loopback"},
	{"::ffff:7f00:1", "IPv4-mapped loopback, hex"},
	{"::ffff:10.0.0.1", "IPv4-mapped private"},
	{"::ffff:169.254.169.254", "IPv4-mapped metadata"},
	{"::ffff:0.0.0.0", "IPv4-mapped unspecified"},
	{"::127.0.0.1", "IPv4-compatible loopback"},
	{"::8.8.8.8", "IPv4-compatible"},
	{"64:ff9b::127.0.0.1", "NAT64 loopback"},
	{"64:ff9b::a9fe:a9fe", "NAT64 metadata"},
	{"64:ff9b::10.0.0.1", "NAT64 private"},
	{"64:ff9b:1::808:808", "local-use NAT64"},
	{"2002:7f00:1::1", "6to4 loopback"},
	{"2002:c0a8:101::1", "6to4 private"},
	{"2002:a9fe:a9fe::", "6to4 metadata"},
	{"2001::1", "Teredo"},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
	{"2001:2::1", "benchmarking"},
	{"2001:db8::1", "documentation"},
	{"3fff::1", "documentation"},
	{"100::1", "discard"},
	{"fc00::1", "ULA"},
	{"fd00::1", "ULA"},
	{"fd00:ec2::254", "metadata"},
	{"fe80::1", "link-local"},
	{"febf::1", "link-local"},
	{"fec0::1", "site-local"},
	{"ff02::1", "multicast"},
	{"ff0e::1", "multicast"},
	{"4000::1", "not global unicast"},
}

// TestFetchRefusedAddresses refuses every special-purpose range, written as
// an IP in the URL and as a name that resolves to it, without dialling.
func TestFetchRefusedAddresses(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serve(pngBytes(t)))
	t.Run("Group", func(t *testing.T) { // returns when the parallel subtests have run
		for _, tt := range refusedAddresses {
			t.Run(tt.ip, func(t *testing.T) {
				t.Parallel()
				d := &dialer{to: strings.TrimPrefix(srv.URL, "http://")}
				res := &resolver{names: map[string][]string{"name.test": {tt.ip}}}
				f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
				for _, u := range []string{"http://" + hostOf(tt.ip) + "/", "https://" + hostOf(tt.ip) + "/", "http://name.test/"} {
					_, err := f.Fetch(context.Background(), u)
					wantGeneric(t, err)
					ce := wantError(t, err, clavis.EInputDownload)
					if strings.Contains(ce.Message, tt.ip) {
						t.Errorf("message %q names the address", ce.Message)
					}
				}
				if got := d.dialled(); len(got) != 0 {
					t.Errorf("%s (%s): dialled %v, want nothing", tt.ip, tt.why, got)
				}
			})
		}
	})
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

// TestFetchPublicAddresses checks the rule is not wider than it should be:
// public addresses, and neighbours of refused ranges, are dialled.
func TestFetchPublicAddresses(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, serve(img))
	tests := []struct{ ip, dial string }{
		{"8.8.8.8", "8.8.8.8:80"},
		{"1.1.1.1", "1.1.1.1:80"},
		{"9.255.255.255", "9.255.255.255:80"},
		{"11.0.0.1", "11.0.0.1:80"},
		{"100.63.255.255", "100.63.255.255:80"},
		{"100.128.0.1", "100.128.0.1:80"},
		{"172.15.255.255", "172.15.255.255:80"},
		{"172.32.0.1", "172.32.0.1:80"},
		{"198.17.255.255", "198.17.255.255:80"},
		{"198.20.0.1", "198.20.0.1:80"},
		{"223.255.255.254", "223.255.255.254:80"},
		{"::ffff:8.8.8.8", "8.8.8.8:80"},
		{"2606:4700:4700::1111", "[2606:4700:4700::1111]:80"},
		{"2a00:1450:4001::1", "[2a00:1450:4001::1]:80"},
		{"64:ff9b::808:808", "[64:ff9b::808:808]:80"},
		{"2002:808:808::1", "[2002:808:808::1]:80"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			t.Parallel()
			d := &dialer{to: strings.TrimPrefix(srv.URL, "http://")}
			res := &resolver{names: map[string][]string{"public.test": {tt.ip}}}
			f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
			for _, u := range []string{"http://" + hostOf(tt.ip) + "/", "http://public.test/"} {
				got, err := f.Fetch(context.Background(), u)
				if err != nil {
					t.Fatalf("Fetch(%s): %v", u, err)
				}
				if !bytes.Equal(got, img) {
					t.Errorf("Fetch(%s): body differs", u)
				}
			}
			for _, a := range d.dialled() {
				if a != tt.dial {
					t.Errorf("dialled %s, want %s", a, tt.dial)
				}
			}
			if len(d.dialled()) == 0 {
				t.Errorf("nothing dialled")
			}
		})
	}
}

// TestFetchMixedAnswers refuses a name when any of its addresses is refused,
// whichever comes first.
func TestFetchMixedAnswers(t *testing.T) {
	t.Parallel()
	res := &resolver{names: map[string][]string{
		"a.test":    {"8.8.8.8", "127.0.0.1"},
		"b.test":    {"10.0.0.1", "8.8.8.8"},
		"c.test":    {"2606:4700::1", "fd00::1"},
		"none.test": {},
	}}
	d := &dialer{to: "127.0.0.1:1"}
	f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
	for _, u := range []string{"http://a.test/", "http://b.test/", "http://c.test/", "http://none.test/", "http://unknown.test/"} {
		_, err := f.Fetch(context.Background(), u)
		wantGeneric(t, err)
	}
	if got := d.dialled(); len(got) != 0 {
		t.Errorf("dialled %v, want nothing", got)
	}
}

// TestAddressRule runs the address rule itself over the refused table, each
// IPv4 row also in its IPv4-mapped form, which Fetch unmaps before the rule
// sees it.
func TestAddressRule(t *testing.T) {
	t.Parallel()
	for _, tt := range refusedAddresses {
		a := netip.MustParseAddr(tt.ip)
		forms := []netip.Addr{a}
		if a.Is4() {
			forms = append(forms, netip.AddrFrom16(a.As16()))
		}
		for _, f := range forms {
			if fetch.AddressRefusal(f) == "" {
				t.Errorf("AddressRefusal(%s) = \"\", want a reason (%s)", f, tt.why)
			}
		}
	}
	for _, s := range []string{"8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1"} {
		if why := fetch.AddressRefusal(netip.MustParseAddr(s)); why != "" {
			t.Errorf("AddressRefusal(%s) = %q, want \"\"", s, why)
		}
	}
}
