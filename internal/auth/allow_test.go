package auth_test

import (
	"testing"

	"github.com/clavis-dev/clavis/internal/auth"
)

func TestAllowlist(t *testing.T) {
	allow, err := auth.ParseAllowlist([]string{"192.0.2.0/24", "2001:db8::/32", "::ffff:198.51.100.0/120", "203.0.113.7", "192.0.2.9/24"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(allow); got != 4 {
		t.Fatalf("canonical allowlist %v: want 4 entries (a duplicate folded)", allow)
	}
	for _, c := range []struct {
		addr string
		ok   bool
	}{
		{"192.0.2.200", true},
		{"192.0.3.1", false},
		{"::ffff:192.0.2.5", true}, // an IPv4 client seen through an IPv6 socket
		{"198.51.100.9", true},     // allowed in mapped form
		{"203.0.113.7", true},
		{"203.0.113.8", false},
		{"2001:db8:1::5", true},
		{"2001:db9::1", false},
		{"", false},
		{"in-process", false},
	} {
		if got := auth.AllowedFrom(allow, c.addr); got != c.ok {
			t.Errorf("AllowedFrom(%q) = %v, want %v", c.addr, got, c.ok)
		}
	}
	if !auth.AllowedFrom(nil, "") {
		t.Error("an empty allowlist refuses")
	}
	for _, bad := range []string{"192.0.2.0/33", "example.com", "10.0.0.1/x"} {
		if _, err := auth.ParseAllowlist([]string{bad}); err == nil {
			t.Errorf("ParseAllowlist(%q) succeeded", bad)
		}
	}
}
