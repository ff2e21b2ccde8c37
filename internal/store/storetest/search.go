package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
)

// labelled stores a user's input-level annotation of input with concepts.
func labelled(t *testing.T, s clavis.Store, app clavis.AppRef, input, user string, cs ...clavis.Concept) {
	t.Helper()
	ok(t, s.Annotations().CreateAnnotations(ctx, app, []*clavis.Annotation{{App: app, ID: "u-" + user + "-" + input, InputID: input,
		Worker: clavis.Worker{UserID: user}, InputLevel: true, Concepts: cs, CreatedAt: now(), UpdatedAt: now()}}))
}

// predicted stores model's input-level annotation of input with concepts.
func predicted(t *testing.T, s clavis.Store, app clavis.AppRef, input, model string, cs ...clavis.Concept) {
	t.Helper()
	ok(t, s.Annotations().CreateAnnotations(ctx, app, []*clavis.Annotation{{App: app, ID: "m-" + model + "-" + input, InputID: input,
		Worker:     clavis.Worker{Model: &clavis.ModelRef{App: clavis.AppRef{OwnerID: "clarifai", AppID: "main"}, ID: model, VersionID: "v"}},
		InputLevel: true, Concepts: cs, CreatedAt: now(), UpdatedAt: now()}}))
}

func hitIDs(hs []clavis.ScoredInput) []string {
	return idsOf(hs, func(h clavis.ScoredInput) string { return h.ID })
}

func testSearchInputs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	app(t, s, "alice", "other")
	ref, other := clavis.AppRef{OwnerID: "alice", AppID: "photos"}, clavis.AppRef{OwnerID: "alice", AppID: "other"}
	ins := storedInputs(t, s, ref, "a", "b", "c", "d", "e")
	meta := map[string]map[string]any{
		"a": {"customer": "acme", "n": float64(1), "ok": true, "tags": []any{"x", "y"}, "deep": map[string]any{"k": "v", "z": float64(2)}},
		"b": {"customer": "acme", "n": float64(2), "ok": false},
		"c": {"customer": "other", "n": float64(1), "deep": map[string]any{"k": "w"}},
		"d": {"customer": "acme", "ok": "true"},
		"e": {},
	}
	for _, in := range ins {
		in.Metadata = meta[in.ID]
		ok(t, s.Inputs().UpdateInput(ctx, in))
	}
	setStatus(t, s, ref, clavis.InputSuccess, "a", "b", "c", "d")
	ok(t, s.Concepts().CreateConcepts(ctx, ref, []*clavis.AppConcept{{App: ref, ID: "c-cat", Name: "kitty", CreatedAt: now(), UpdatedAt: now()}}))
	labelled(t, s, ref, "a", "alice", clavis.Concept{ID: "c-cat", Value: 1}, clavis.Concept{ID: "dog", Value: 0})
	labelled(t, s, ref, "b", "alice", clavis.Concept{ID: "dog", Value: 1})
	predicted(t, s, ref, "a", "base", clavis.Concept{ID: "cat", Value: 0.9}, clavis.Concept{ID: "person", Value: 0.2})
	predicted(t, s, ref, "b", "base", clavis.Concept{ID: "cat", Value: 0.3})
	predicted(t, s, ref, "c", "base", clavis.Concept{ID: "cat", Value: 0.9}, clavis.Concept{ID: "cell-phone", Value: 0.6})
	predicted(t, s, ref, "d", "other-model", clavis.Concept{ID: "cat", Value: 1})
	// Another app of the same owner, with the same ids, labels and data.
	storedInputs(t, s, other, "a", "b")
	labelled(t, s, other, "a", "alice", clavis.Concept{ID: "dog", Value: 1})
	predicted(t, s, other, "a", "base", clavis.Concept{ID: "cat", Value: 1})

	search := func(q clavis.InputQuery, p clavis.Page) []clavis.ScoredInput {
		t.Helper()
		q.PredictedBy = "base"
		hs, err := s.Inputs().SearchInputs(ctx, ref, q, p)
		ok(t, err)
		return hs
	}
	cond := func(c clavis.InputCond) clavis.InputQuery { return clavis.InputQuery{Conds: []clavis.InputCond{c}} }
	for _, c := range []struct {
		name string
		q    clavis.InputQuery
		want []string
	}{
		{"All", clavis.InputQuery{}, []string{"a", "b", "c", "d", "e"}},
		{"IDs", cond(clavis.InputCond{IDs: []string{"c", "a", "zz"}}), []string{"a", "c"}},
		{"Status", cond(clavis.InputCond{Status: clavis.InputPending}), []string{"e"}},
		{"LabelPositive", cond(clavis.InputCond{Labels: []clavis.ConceptMatch{{ID: "dog", Value: 1}}}), []string{"b"}},
		{"LabelNegative", cond(clavis.InputCond{Labels: []clavis.ConceptMatch{{ID: "dog", Value: 0}}}), []string{"a"}},
		{"LabelByName", cond(clavis.InputCond{Labels: []clavis.ConceptMatch{{Name: "kitty", Value: 1}}}), []string{"a"}},
		{"PredictedMin", cond(clavis.InputCond{Predicted: []clavis.ConceptMatch{{ID: "cat", Value: 0.5}}}), []string{"a", "c"}},
		{"PredictedAny", cond(clavis.InputCond{Predicted: []clavis.ConceptMatch{{ID: "cat"}}}), []string{"a", "b", "c"}},
		{"PredictedByName", cond(clavis.InputCond{Predicted: []clavis.ConceptMatch{{Name: "cell-phone"}}}), []string{"c"}},
		{"PredictedBySpacedName", cond(clavis.InputCond{Predicted: []clavis.ConceptMatch{{Name: "cell phone"}}}), []string{"c"}},
		{"MetadataString", cond(clavis.InputCond{Metadata: map[string]any{"customer": "acme"}}), []string{"a", "b", "d"}},
		{"MetadataNumber", cond(clavis.InputCond{Metadata: map[string]any{"n": float64(1)}}), []string{"a", "c"}},
		{"MetadataBool", cond(clavis.InputCond{Metadata: map[string]any{"ok": true}}), []string{"a"}},
		{"MetadataFalse", cond(clavis.InputCond{Metadata: map[string]any{"ok": false}}), []string{"b"}},
		{"MetadataNested", cond(clavis.InputCond{Metadata: map[string]any{"deep": map[string]any{"k": "v"}}}), []string{"a"}},
		{"MetadataList", cond(clavis.InputCond{Metadata: map[string]any{"tags": []any{"x", "y"}}}), []string{"a"}},
		{"MetadataSeveral", cond(clavis.InputCond{Metadata: map[string]any{"customer": "acme", "n": float64(2)}}), []string{"b"}},
		{"MetadataMissing", cond(clavis.InputCond{Metadata: map[string]any{"nope": "x"}}), nil},
		{"MetadataEmpty", cond(clavis.InputCond{Metadata: map[string]any{}}), []string{"a", "b", "c", "d", "e"}},
		{"Negate", cond(clavis.InputCond{Negate: true, Metadata: map[string]any{"customer": "acme"}}), []string{"c", "e"}},
		{"And", clavis.InputQuery{Conds: []clavis.InputCond{
			{Metadata: map[string]any{"customer": "acme"}},
			{Predicted: []clavis.ConceptMatch{{ID: "cat", Value: 0.1}}},
			{Status: clavis.InputSuccess},
		}}, []string{"a", "b"}},
		{"AndWithin", cond(clavis.InputCond{IDs: []string{"a", "b", "c"}, Labels: []clavis.ConceptMatch{{ID: "dog", Value: 1}}}), []string{"b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs := search(c.q, clavis.Page{})
			if got := hitIDs(hs); !slices.Equal(got, c.want) {
				t.Fatalf("hits %v, want %v", got, c.want)
			}
			for _, h := range hs {
				if h.Score != 1 {
					t.Fatalf("a filter's hit %s scores %g, want 1", h.ID, h.Score)
				}
			}
		})
	}

	// A concept rank: labels count as 1 (present) and predictions as
	// their value, the highest winning; ties by id; min score; pages.
	rank := clavis.InputQuery{Rank: &clavis.ConceptRank{Concept: clavis.ConceptMatch{ID: "cat"}}}
	hs := search(rank, clavis.Page{})
	if got, want := fmt.Sprint(hs), "[{a 0.9} {c 0.9} {b 0.3}]"; got != want {
		t.Fatalf("rank by cat: %s, want %s", got, want)
	}
	rank.Conds = []clavis.InputCond{{Metadata: map[string]any{"customer": "acme"}}}
	if got := hitIDs(search(rank, clavis.Page{})); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("rank by cat among acme's: %v", got)
	}
	rank.Conds, rank.MinScore = nil, 0.5
	if got := hitIDs(search(rank, clavis.Page{})); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("rank by cat over 0.5: %v", got)
	}
	rank.MinScore = 0
	if got := hitIDs(search(rank, clavis.Page{Number: 2, Size: 2})); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("second page of 2: %v", got)
	}
	label := clavis.InputQuery{Rank: &clavis.ConceptRank{Concept: clavis.ConceptMatch{Name: "kitty"}}}
	if got := fmt.Sprint(search(label, clavis.Page{})); got != "[{a 1}]" {
		t.Fatalf("rank by a label's name: %s", got)
	}
	if got := hitIDs(search(clavis.InputQuery{MinScore: 0.5}, clavis.Page{Number: 3, Size: 2})); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("third page of everything: %v", got)
	}

	// Bad metadata keys are refused, not matched.
	_, err := s.Inputs().SearchInputs(ctx, ref, cond(clavis.InputCond{Metadata: map[string]any{`a"b`: "x"}}), clavis.Page{})
	mustCode(t, err, clavis.EInvalid)

	// FilterInputs returns every id kept, in id order.
	ids, err := s.Inputs().FilterInputs(ctx, ref, clavis.InputQuery{PredictedBy: "base", Conds: []clavis.InputCond{{Predicted: []clavis.ConceptMatch{{ID: "cat"}}}}}, 2)
	ok(t, err)
	if !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("FilterInputs = %v", ids)
	}

	// Deleted inputs, and deleted apps, have no hits.
	_, err = s.Inputs().DeleteInputs(ctx, ref, []string{"a"}, now())
	ok(t, err)
	if got := hitIDs(search(clavis.InputQuery{Rank: &clavis.ConceptRank{Concept: clavis.ConceptMatch{ID: "cat"}}}, clavis.Page{})); !slices.Equal(got, []string{"c", "b"}) {
		t.Fatalf("rank by cat after deleting a: %v", got)
	}
	ok(t, s.Apps().DeleteApp(ctx, ref))
	app(t, s, "alice", "photos")
	if got := search(clavis.InputQuery{}, clavis.Page{}); len(got) != 0 {
		t.Fatalf("a re-created app finds the deleted one's inputs: %v", got)
	}
}
