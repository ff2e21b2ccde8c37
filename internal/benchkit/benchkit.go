// Package benchkit measures a candidate against its baseline in the same
// run: rounds that alternate the two (so that drift in the machine's load
// touches both alike), a ratio per round, and a table of min, median and
// max. It knows nothing of what it measures; `clavis bench` drives it.
package benchkit

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Stat is the spread of one figure over the rounds.
type Stat struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// Of returns the spread of xs; the zero Stat when xs is empty.
func Of(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Min: s[0], Median: med, Max: s[len(s)-1]}
}

// Row is one line of the table: a candidate and its baseline, each in
// Unit, and their ratio candidate/baseline per round.
type Row struct {
	Name      string `json:"name"`
	Unit      string `json:"unit"`
	Baseline  string `json:"baseline"` // what the baseline is
	Candidate Stat   `json:"candidate"`
	Base      Stat   `json:"base"`
	Ratio     Stat   `json:"ratio"`
	// Target is the target for the ratio ("≥ 0.95") or for an
	// absolute figure; Met says whether the median meets it, nil when no
	// target applies.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	// Note carries figures beside the ratio: p99, allocations.
	Note string `json:"note,omitempty"`
}

// Pair runs rounds of candidate and baseline, alternating which goes first,
// and returns the row with their figures and per-round ratios.
func Pair(name, unit, baseline string, rounds int, candidate, base func() float64) Row {
	var cs, bs, rs []float64
	for i := range rounds {
		var c, b float64
		if i%2 == 0 {
			c = candidate()
			b = base()
		} else {
			b = base()
			c = candidate()
		}
		cs, bs = append(cs, c), append(bs, b)
		if b != 0 {
			rs = append(rs, c/b)
		}
	}
	return Row{Name: name, Unit: unit, Baseline: baseline, Candidate: Of(cs), Base: Of(bs), Ratio: Of(rs)}
}

// AtLeast sets the row's target to a ratio of at least min.
func (r Row) AtLeast(min float64) Row {
	met := r.Ratio.Median >= min
	r.Target, r.Met = fmt.Sprintf("ratio ≥ %.2f", min), &met
	return r
}

// AtMost sets the row's target to a ratio of at most max.
func (r Row) AtMost(max float64) Row {
	met := r.Ratio.Median <= max
	r.Target, r.Met = fmt.Sprintf("ratio ≤ %.2f", max), &met
	return r
}

// Table is the harness's output.
type Table struct {
	Machine string `json:"machine"`
	Rounds  int    `json:"rounds"`
	Rows    []Row  `json:"rows"`
}

// WriteJSON writes t as one JSON document.
func (t *Table) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(t)
}

// WriteText writes t as an aligned table, a Markdown table when md.
func (t *Table) WriteText(w io.Writer, md bool) error {
	head := []string{"row", "candidate (median)", "baseline (median)", "ratio min / median / max", "target", "met", "note"}
	lines := [][]string{head}
	for _, r := range t.Rows {
		met := ""
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*r.Met]
		}
		lines = append(lines, []string{
			r.Name,
			num(r.Candidate.Median) + " " + r.Unit,
			num(r.Base.Median) + " " + r.Unit + " (" + r.Baseline + ")",
			fmt.Sprintf("%.3f / %.3f / %.3f", r.Ratio.Min, r.Ratio.Median, r.Ratio.Max),
			r.Target, met, r.Note,
		})
	}
	if md {
		for i, l := range lines {
			fmt.Fprintf(w, "| %s |\n", strings.Join(l, " | "))
			if i == 0 {
				fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(l)))
			}
		}
		return nil
	}
	fmt.Fprintf(w, "%s, %d rounds each, candidate and baseline interleaved\n", t.Machine, t.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintln(tw, strings.Join(l, "\t"))
	}
	return tw.Flush()
}

// num formats a figure with three significant digits or more.
func num(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}
