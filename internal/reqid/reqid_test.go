package reqid_test

import (
	"regexp"
	"testing"

	"github.com/clavis-dev/clavis/internal/reqid"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	hex24 := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for range 1000 {
		id := reqid.New()
		if !hex24.MatchString(id) {
			t.Fatalf("id %q is not 24 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
	}
}
