package clavis_test

import (
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
)

// FuzzParseScopes checks that scope parsing never panics, refuses only
// with EInvalid, and that a parsed set's names parse back to the same set.
func FuzzParseScopes(f *testing.F) {
	f.Fuzz(func(t *testing.T, list string) {
		s, err := clavis.ParseScopes(strings.Split(list, ","))
		if err != nil {
			if c := clavis.ErrorCode(err); c != clavis.EInvalid {
				t.Fatalf("ParseScopes(%q): error code %q", list, c)
			}
			return
		}
		again, err := clavis.ParseScopes(s.Names())
		if err != nil || again != s {
			t.Fatalf("ParseScopes(%q).Names() = %v parse to %v, %v", list, s.Names(), again, err)
		}
		for _, n := range s.Names() {
			if !s.Has(n) {
				t.Fatalf("set of %q lacks its own name %q", list, n)
			}
		}
	})
}
