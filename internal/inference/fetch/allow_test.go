package fetch_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/fetch"
)

func TestNew(t *testing.T) {
	t.Parallel()
	good := []string{"images.lan", "Images.LAN.", "images.lan:8080", "127.0.0.1:9000", "[fd00::5]:8080",
		"10.0.0.0/8", "fd00::/8", "10.1.2.3", "fd00::5", "[fd00::5]", "::ffff:10.0.0.0/104", " padded.lan "}
	for _, e := range good {
		if _, err := fetch.New(fetch.Config{Allow: []string{e}}); err != nil {
			t.Errorf("New(Allow %q): %v", e, err)
		}
	}
	bad := []string{"", "http://images.lan", "10.0.0.1/8", "10.0.0.0/33", "fd00::/129", "images.lan:0",
		"images.lan:99999", "images.lan:http", "images.lan:080", "127.1", "2130706433", "0x7f.1",
		"bad host", "a..b", "fe80::1%eth0", "[fd00::5", "ex\u00e4mple.lan"}
	for _, e := range bad {
		_, err := fetch.New(fetch.Config{Allow: []string{"ok.lan", e}})
		if err == nil {
			t.Errorf("New(Allow %q) = nil error, want one", e)
			continue
		}
		if !strings.Contains(err.Error(), strconv.Quote(e)) {
			t.Errorf("New(Allow %q) error %q does not name the entry", e, err)
		}
	}
	for _, cfg := range []fetch.Config{{Timeout: -time.Second}, {MaxBytes: -1}} {
		if _, err := fetch.New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error, want one", cfg)
		}
	}
}

// TestFetchAllow checks that each kind of Allow entry lifts exactly what it
// names.
func TestFetchAllow(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, serve(img))
	hp, _ := srv.hostPort(t)
	res := &resolver{names: map[string][]string{
		"img.lan":   {"10.0.0.5"},
		"other.lan": {"10.0.0.5"},
		"in.lan":    {"10.1.2.3"},
		"out.lan":   {"192.168.1.1"},
		"pub.test":  {"8.8.8.8"},
	}}
	const ok = clavis.Code("")
	tests := []struct {
		name  string
		allow string
		url   string
		want  clavis.Code
	}{
		{"Host", "img.lan", "http://img.lan/", ok},
		{"HostHTTPSPort", "img.lan", "http://img.lan:443/", ok},
		{"HostCase", "img.lan", "http://IMG.Lan./", ok},
		{"HostOtherPort", "img.lan", "http://img.lan:8080/", clavis.EInputURL},
		{"HostOtherName", "img.lan", "http://other.lan/", clavis.EInputDownload},
		{"HostNotSubdomain", "lan", "http://img.lan/", clavis.EInputDownload},
		{"HostNotIP", "img.lan", "http://10.0.0.5/", clavis.EInputDownload},
		{"HostScheme", "img.lan", "ftp://img.lan/", clavis.EInputURL},
		{"HostCredentials", "img.lan", "http://u:p@img.lan/", clavis.EInputURL},
		{"HostPort", "img.lan:8080", "http://img.lan:8080/", ok},
		{"HostPortOtherPort", "img.lan:8080", "http://img.lan:8081/", clavis.EInputURL},
		{"HostPortStandardPort", "img.lan:8080", "http://img.lan/", clavis.EInputDownload},
		{"HostPortOtherName", "img.lan:8080", "http://other.lan:8080/", clavis.EInputURL},
		{"IPPort", "10.0.0.5:8080", "http://10.0.0.5:8080/", ok},
		{"IPPortByName", "10.0.0.5:8080", "http://img.lan:8080/", clavis.EInputURL},
		{"IPPortMapped", "10.0.0.5:8080", "http://[::ffff:10.0.0.5]:8080/", ok},
		{"IPv6Port", "[fd00::5]:8080", "http://[fd00::5]:8080/", ok},
		{"IPv6PortOther", "[fd00::5]:8080", "http://[fd00::6]:8080/", clavis.EInputURL},
		{"IPv6PortStandardPort", "[fd00::5]:8080", "http://[fd00::5]/", clavis.EInputDownload},
		{"CIDRInside", "10.0.0.0/8", "http://in.lan/", ok},
		{"CIDRInsideIP", "10.0.0.0/8", "http://10.1.2.3/", ok},
		{"CIDRInsideMapped", "10.0.0.0/8", "http://[::ffff:10.1.2.3]/", ok},
		{"CIDROutside", "10.0.0.0/8", "http://out.lan/", clavis.EInputDownload},
		{"CIDROutsideIP", "10.0.0.0/8", "http://192.168.1.1/", clavis.EInputDownload},
		{"CIDRPort", "10.0.0.0/8", "http://10.1.2.3:8080/", clavis.EInputURL},
		{"CIDRLoopback", "10.0.0.0/8", "http://127.0.0.1/", clavis.EInputDownload},
		{"CIDRDecimal", "10.0.0.0/8", "http://167838211/", clavis.EInputURL},
		{"CIDRv6Inside", "fd00::/8", "http://[fd12::1]/", ok},
		{"CIDRv6Outside", "fd00::/8", "http://[fe80::1]/", clavis.EInputDownload},
		{"CIDRv6NotV4", "fd00::/8", "http://10.0.0.5/", clavis.EInputDownload},
		{"SingleIP", "10.0.0.5", "http://10.0.0.5/", ok},
		{"SingleIPByName", "10.0.0.5", "http://img.lan/", ok},
		{"SingleIPNeighbour", "10.0.0.5", "http://10.0.0.6/", clavis.EInputDownload},
		{"EverythingStillNotUnspecified", "0.0.0.0/0", "http://0.0.0.0/", clavis.EInputDownload},
		{"EverythingStillNotMulticast", "0.0.0.0/0", "http://224.0.0.1/", clavis.EInputDownload},
		{"EverythingStillNotBroadcast", "0.0.0.0/0", "http://255.255.255.255/", clavis.EInputDownload},
		{"EverythingStillNotV6Unspecified", "::/0", "http://[::]/", clavis.EInputDownload},
		{"PublicUnaffected", "img.lan", "http://pub.test/", ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := &dialer{to: hp}
			f := newFetcher(t, fetch.Config{Allow: []string{tt.allow}, Resolver: res, DialContext: d.DialContext})
			got, err := f.Fetch(context.Background(), tt.url)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("Fetch(%s) with Allow %q: %v", tt.url, tt.allow, err)
				}
				if !bytes.Equal(got, img) {
					t.Errorf("body differs")
				}
				return
			}
			wantError(t, err, tt.want)
			if got := d.dialled(); len(got) != 0 {
				t.Errorf("Fetch(%s) with Allow %q dialled %v, want nothing", tt.url, tt.allow, got)
			}
		})
	}
}

// TestFetchAllowLoopbackServer uses the real dialer and a loopback server.
func TestFetchAllowLoopbackServer(t *testing.T) {
	t.Parallel()
	img := pngBytes(t)
	srv := newServer(t, serve(img))
	hp, port := srv.hostPort(t)
	tests := []struct {
		name  string
		allow []string
		ok    bool
	}{
		{"HostPort", []string{hp}, true},
		{"OtherPort", []string{fmt.Sprintf("127.0.0.1:%d", port+1)}, false},
		{"OtherHost", []string{fmt.Sprintf("localhost:%d", port)}, false},
		{"CIDRStandardPortsOnly", []string{"127.0.0.0/8"}, false},
		{"HostStandardPortsOnly", []string{"127.0.0.1"}, false},
		{"None", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.hits.Load()
			got, err := newFetcher(t, fetch.Config{Allow: tt.allow}).Fetch(context.Background(), srv.URL+"/")
			if tt.ok {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if !bytes.Equal(got, img) {
					t.Errorf("body differs")
				}
				return
			}
			wantError(t, err, clavis.EInputURL)
			if n := srv.hits.Load() - before; n != 0 {
				t.Errorf("server got %d requests, want 0", n)
			}
		})
	}
}
