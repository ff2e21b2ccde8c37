package fetch_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/fetch"
)

// TestFetchURLRules covers the URL rules: odd spellings of hosts, schemes,
// credentials and ports. None may look anything up or dial.
func TestFetchURLRules(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, url string }{
		{"Decimal", "http://2130706433/"},
		{"DecimalMetadata", "http://2852039166/"},
		{"Octal", "http://0177.0.0.1/"},
		{"OctalWhole", "http://017700000001/"},
		{"Hex", "http://0x7f.1/"},
		{"HexWhole", "http://0x7f000001/"},
		{"HexUpper", "http://0X7F.0.0.1/"},
		{"Short", "http://127.1/"},
		{"ShortThree", "http://127.0.1/"},
		{"ShortMetadata", "http://169.254.43518/"},
		{"Zero", "http://0/"},
		{"LeadingZeros", "http://127.000.000.001/"},
		{"TrailingDot", "http://127.0.0.1./"},
		{"FiveParts", "http://1.2.3.4.5/"},
		{"NumericTLD", "http://images.123/"},
		{"Zoned", "http://[fe80::1%25eth0]/"},
		{"NonASCII", "http://b\u00fccher.example/"},
		{"EmptyLabel", "http://a..example/"},
		{"FTP", "ftp://images.example/cat.png"},
		{"File", "file:///etc/passwd"},
		{"Gopher", "gopher://images.example/"},
		{"Data", "data:image/png;base64,iVBORw0KGgo="},
		{"JavaScript", "javascript:alert(1)"},
		{"NoScheme", "images.example/cat.png"},
		{"SchemeRelative", "//images.example/cat.png"},
		{"Opaque", "http:images.example"},
		{"NoHost", "http:///cat.png"},
		{"UserPass", "http://user:pass@images.example/"},
		{"User", "http://user@images.example/"},
		{"UserLooksLikeHost", "http://images.example@127.0.0.1/"},
		{"EmptyUser", "http://@images.example/"},
		{"Port8080", "http://images.example:8080/"},
		{"Port22", "http://images.example:22/"},
		{"Port0", "http://images.example:0/"},
		{"PortLeadingZero", "http://images.example:080/"},
		{"PortTooBig", "http://images.example:65616/"},
		{"HTTPSPort8443", "https://images.example:8443/"},
		{"Unparsable", "http://images.example/%zz"},
		{"Space", "http://images example/"},
		{"TooLong", "http://images.example/" + strings.Repeat("a", 9000)},
		{"Empty", ""},
	}
	res := &resolver{names: map[string][]string{"images.example": {"8.8.8.8"}}}
	d := &dialer{to: "127.0.0.1:1"}
	f := newFetcher(t, fetch.Config{Resolver: res, DialContext: d.DialContext})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), tt.url)
			ce := wantError(t, err, clavis.EInputURL)
			if ce.Message == "" {
				t.Errorf("empty message")
			}
		})
	}
	if n := res.calls.Load(); n != 0 {
		t.Errorf("resolver called %d times, want 0", n)
	}
	if got := d.dialled(); len(got) != 0 {
		t.Errorf("dialled %v, want nothing", got)
	}
}
