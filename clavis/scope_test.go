package clavis_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
)

func TestParseScopes(t *testing.T) {
	s, err := clavis.ParseScopes([]string{"apps:get", " Predict ", "Keys:Add"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "Predict,Apps:Get,Keys:Add" {
		t.Fatalf("Names = %s", got)
	}
	if !s.Has("Apps:Get") || s.Has("Apps:Delete") || s.IsAll() {
		t.Fatal("Has/IsAll wrong")
	}
	all, _ := clavis.ParseScopes([]string{"All"})
	if !all.IsAll() || strings.Join(all.Names(), ",") != "All" || !all.Contains(s) || s.Contains(all) {
		t.Fatal("All handling wrong")
	}
	if got := all.Intersect(s); got != s {
		t.Fatal("All ∩ s != s")
	}
	if got := all.Minus(s).Len(); got != all.Len()-3 {
		t.Fatalf("Minus: %d", got)
	}
	_, err = clavis.ParseScopes([]string{"Apps:Get", "Apps:Fly", "Nope"})
	if clavis.ErrorCode(err) != clavis.EInvalid || !strings.Contains(err.Error(), `"Apps:Fly"`) || !strings.Contains(err.Error(), `"Nope"`) {
		t.Fatalf("unknown scopes: %v", err)
	}
}

func TestScopeCatalogue(t *testing.T) {
	names := clavis.ScopeNames()
	for _, want := range []string{"Predict", "Search", "Inputs:Get", "Models:Train", "Keys:Delete", "Collaborators:Add", "Artifacts:Delete"} {
		if !clavis.MustScopes(want).Has(want) {
			t.Errorf("scope %s missing", want)
		}
	}
	if clavis.AllScopes().Len() != len(names) {
		t.Fatalf("full set has %d, catalogue %d", clavis.AllScopes().Len(), len(names))
	}
	deps := clavis.ScopeDependencies()
	if d := strings.Join(deps["Keys:Delete"], ","); d != "Keys:Add,Keys:Get" {
		t.Fatalf("Keys:Delete deps = %s", d)
	}
}

func TestNewPage(t *testing.T) {
	for _, tt := range []struct {
		n, s     uint32
		off, lim int
	}{
		{0, 0, 0, 128}, {1, 10, 0, 10}, {3, 10, 20, 10}, {1, 5000, 0, 1000},
	} {
		p := clavis.NewPage(tt.n, tt.s)
		if p.Offset() != tt.off || p.Limit() != tt.lim {
			t.Errorf("NewPage(%d,%d) = offset %d limit %d", tt.n, tt.s, p.Offset(), p.Limit())
		}
	}
}

func TestPageOf(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	for _, tt := range []struct {
		n, s uint32
		want string
	}{{1, 2, "[1 2]"}, {3, 2, "[5]"}, {4, 2, "[]"}, {0, 0, "[1 2 3 4 5]"}} {
		if got := fmt.Sprint(clavis.PageOf(items, clavis.NewPage(tt.n, tt.s))); got != tt.want {
			t.Errorf("page %d of %d = %s, want %s", tt.n, tt.s, got, tt.want)
		}
	}
}
