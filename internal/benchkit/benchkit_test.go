package benchkit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	if got := Of([]float64{3, 1, 2}); got != (Stat{1, 2, 3}) {
		t.Fatalf("Of odd = %+v", got)
	}
	if got := Of([]float64{4, 1, 2, 3}); got != (Stat{1, 2.5, 4}) {
		t.Fatalf("Of even = %+v", got)
	}
}

// TestPairInterleaves checks that rounds alternate which side runs first
// and that ratios are candidate over baseline per round.
func TestPairInterleaves(t *testing.T) {
	var order []string
	c, b := 0.0, 0.0
	r := Pair("x", "calls/s", "base", 4,
		func() float64 { order = append(order, "c"); c += 2; return c },
		func() float64 { order = append(order, "b"); b++; return b })
	if got := strings.Join(order, ""); got != "cbbccbbc" {
		t.Fatalf("order = %s", got)
	}
	if r.Ratio != (Stat{2, 2, 2}) || r.Candidate.Max != 8 || r.Base.Min != 1 {
		t.Fatalf("row = %+v", r)
	}
	if r := r.AtLeast(0.95); r.Met == nil || !*r.Met {
		t.Fatalf("AtLeast = %+v", r)
	}
	if r := r.AtMost(1.5); r.Met == nil || *r.Met {
		t.Fatalf("AtMost = %+v", r)
	}
	tab := &Table{Machine: "m", Rounds: 4, Rows: []Row{r}}
	var out bytes.Buffer
	if err := tab.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var back Table
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back.Rows) != 1 || back.Rows[0].Ratio.Median != 2 {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
}
