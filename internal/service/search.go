package service

import (
	"context"
	"slices"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/vector"
)

// MaxSearchHits bounds how deep a search pages: page × per_page.
const MaxSearchHits = 10000

// exactAllowed is the most inputs a filter may keep for a visual search to
// compare their vectors one by one, rather than search the index for
// them.
const exactAllowed = 5000

// Similar is a visual rank: the hits are the inputs whose embeddings lie
// nearest that of an image (by URL or bytes), of a stored input, or a
// vector. Exactly one is set.
type Similar struct {
	ImageURL   string
	ImageBytes []byte
	InputID    string
	Vector     []float32
}

// SearchRequest is a search of the target app's inputs.
type SearchRequest struct {
	// Query holds the filters, a concept rank and the least score.
	// PredictedBy is set by Search: the base model.
	Query clavis.InputQuery
	// Similar, when set, ranks by visual similarity; a concept rank then
	// keeps the inputs with the concept, as a filter.
	Similar   *Similar
	Metric    vector.Metric
	Algorithm vector.Algorithm
	Page      clavis.Page
}

// SearchHit is an input found and its score in [0, 1].
type SearchHit struct {
	Input *InputView
	Score float32
}

// Search returns a page of the hits of a search of the target app's inputs,
// best first, ties by input id. Without a rank every hit scores 1. Errors:
// EInvalid for a malformed query or a page past MaxSearchHits;
// InputNotFound for a similarity to an input the app does not have, and
// ENotFound when it has no embedding yet; EModelNotDeployed when visual
// search needs the embedding model and it is not installed; the image's errors
// (fetching, decoding) for a similarity to an image.
func (s *Service) Search(ctx context.Context, acc *auth.Access, req SearchRequest) ([]SearchHit, error) {
	page := clavis.NewPage(uint32(req.Page.Number), uint32(req.Page.Size))
	if page.Offset()+page.Limit() > MaxSearchHits {
		return nil, clavis.Errorf(clavis.EInvalid, "page * perPage cannot exceed %d (page %d of %d)", MaxSearchHits, page.Number, page.Size)
	}
	if err := checkQuery(&req.Query); err != nil {
		return nil, err
	}
	app := acc.App.Ref()
	q := req.Query
	q.PredictedBy = BaseModelID
	var hits []clavis.ScoredInput
	if req.Similar == nil {
		var err error
		if hits, err = s.store.Inputs().SearchInputs(ctx, app, q, page); err != nil {
			return nil, err
		}
	} else {
		vec, err := s.queryVector(ctx, app, req.Similar)
		if err != nil {
			return nil, err
		}
		all, err := s.similar(ctx, app, q, req, vec, page.Offset()+page.Limit())
		if err != nil {
			return nil, err
		}
		if hits, err = s.rescore(ctx, app, req, vec, clavis.PageOf(all, page)); err != nil {
			return nil, err
		}
	}
	return s.hitViews(ctx, app, hits)
}

// checkQuery refuses what a query cannot ask.
func checkQuery(q *clavis.InputQuery) error {
	if q.MinScore < 0 || q.MinScore > 1 {
		return clavis.Errorf(clavis.EInvalid, "min_value %g is out of [0, 1]", q.MinScore)
	}
	for _, c := range q.Conds {
		if len(c.IDs) > MaxListIDs {
			return clavis.Errorf(clavis.EInvalid, "%d input ids in one filter; the limit is %d", len(c.IDs), MaxListIDs)
		}
		if c.Status != 0 && !c.Status.Valid() {
			return clavis.Errorf(clavis.EInvalid, "status.code %d is not an input status: use 30000, 30001, 30002 or 30003", c.Status)
		}
		for _, m := range append(slices.Clone(c.Labels), c.Predicted...) {
			if m.ID == "" && m.Name == "" {
				return clavis.Errorf(clavis.EInvalid, "a concept of a search needs an id or a name")
			}
		}
	}
	if r := q.Rank; r != nil && r.Concept.ID == "" && r.Concept.Name == "" {
		return clavis.Errorf(clavis.EInvalid, "a concept of a search needs an id or a name")
	}
	return nil
}

// similar returns the first k hits of a visual search, best first.
func (s *Service) similar(ctx context.Context, app clavis.AppRef, q clavis.InputQuery, req SearchRequest, vec []float32, k int) ([]clavis.ScoredInput, error) {
	sp := vectorSpace(app)
	if r := q.Rank; r != nil {
		// With a visual rank, a concept rank keeps the inputs with the
		// concept.
		q.Conds = append(slices.Clone(q.Conds), clavis.InputCond{Predicted: []clavis.ConceptMatch{{ID: r.Concept.ID, Name: r.Concept.Name}}})
		q.Rank = nil
	}
	vq := vector.Query{Vector: vec, Metric: req.Metric, Algorithm: req.Algorithm, K: k, MinScore: q.MinScore}
	if len(q.Conds) > 0 {
		ids, err := s.store.Inputs().FilterInputs(ctx, app, q, MaxInputsAllowed+1)
		if err != nil {
			return nil, err
		}
		if len(ids) > MaxInputsAllowed {
			return nil, clavis.Errorf(clavis.EInvalid, "the filters of this visual search keep more than %d inputs: narrow them", MaxInputsAllowed)
		}
		if len(ids) <= exactAllowed {
			return s.compare(ctx, sp, vq, ids)
		}
		allowed := make(map[string]bool, len(ids))
		for _, id := range ids {
			allowed[id] = true
		}
		vq.Allow = func(id string) bool { return allowed[id] }
	}
	res, err := s.index.Search(ctx, sp, vq)
	if err != nil {
		return nil, err
	}
	out := make([]clavis.ScoredInput, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = clavis.ScoredInput{ID: h.ID, Score: h.Score}
	}
	return out, nil
}

// MaxInputsAllowed bounds the inputs that the filters of a visual search
// may keep.
const MaxInputsAllowed = 1_000_000

// compare scores the vectors of the given inputs against q's, exactly.
func (s *Service) compare(ctx context.Context, sp vector.Space, q vector.Query, ids []string) ([]clavis.ScoredInput, error) {
	es, err := s.store.Embeddings().GetEmbeddings(ctx, clavis.EmbeddingSpace{App: sp.App, Version: sp.Version}, ids)
	if err != nil {
		return nil, err
	}
	var out []clavis.ScoredInput
	for _, e := range es {
		if len(e.Vector) != len(q.Vector) {
			return nil, clavis.Errorf(clavis.EInvalid, "the query vector has %d values; the vectors searched have %d", len(q.Vector), len(e.Vector))
		}
		if score := vector.Score(q.Metric, q.Vector, e.Vector); score >= q.MinScore {
			out = append(out, clavis.ScoredInput{ID: e.InputID, Score: score})
		}
	}
	slices.SortFunc(out, func(a, b clavis.ScoredInput) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), q.K)], nil
}

// rescore scores a page of visual hits again with the vectors the store
// holds now, and orders them again: an index that missed a change (of a
// replica whose listener was away, of an app deleted and created again
// with the same id) scores no hit with a vector that is gone, and none
// whose embedding is gone appears.
func (s *Service) rescore(ctx context.Context, app clavis.AppRef, req SearchRequest, vec []float32, hits []clavis.ScoredInput) ([]clavis.ScoredInput, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return s.compare(ctx, vectorSpace(app), vector.Query{Vector: vec, Metric: req.Metric, K: len(ids), MinScore: req.Query.MinScore}, ids)
}

// queryVector returns the vector a visual rank compares with.
func (s *Service) queryVector(ctx context.Context, app clavis.AppRef, sim *Similar) ([]float32, error) {
	switch {
	case len(sim.Vector) > 0:
		return sim.Vector, nil
	case sim.InputID != "":
		if _, err := s.store.Inputs().GetInput(ctx, app, sim.InputID); err != nil {
			return nil, err
		}
		es, err := s.store.Embeddings().GetEmbeddings(ctx, clavis.EmbeddingSpace{App: app, Version: EmbedderVersion}, []string{sim.InputID})
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			return nil, clavis.Errorf(clavis.ENotFound, "input %q has no embedding yet: it is still being processed, or has no image", sim.InputID)
		}
		return es[0].Vector, nil
	}
	// A model that is not installed fails the prediction with
	// EModelNotDeployed, saying how to install it.
	r, err := s.engine.Model(mainApp, EmbedderID)
	if err != nil {
		return nil, err
	}
	results, err := s.engine.Predict(ctx, r, []clavis.Input{{ID: "query", ImageURL: sim.ImageURL, ImageBytes: sim.ImageBytes}}, clavis.OutputConfig{})
	if err != nil {
		return nil, err
	}
	if err := results[0].Err; err != nil {
		return nil, err
	}
	if es := results[0].Prediction.Embeddings; len(es) > 0 && len(es[0].Vector) > 0 {
		return es[0].Vector, nil
	}
	return nil, clavis.Errorf(clavis.EInternal, "the embedding model returned no vector")
}

// hitViews loads the inputs of hits, in order; hits whose input is gone
// (deleted since a replica's index last heard) are left out.
func (s *Service) hitViews(ctx context.Context, app clavis.AppRef, hits []clavis.ScoredInput) ([]SearchHit, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	ins, err := s.store.Inputs().ListInputs(ctx, app, clavis.InputFilter{IDs: ids}, clavis.Page{Number: 1, Size: clavis.MaxPageSize})
	if err != nil {
		return nil, err
	}
	vs, err := s.views(ctx, s.store, app, ins)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*InputView, len(vs))
	for _, v := range vs {
		byID[v.ID] = v
	}
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		if v := byID[h.ID]; v != nil {
			out = append(out, SearchHit{Input: v, Score: h.Score})
		}
	}
	return out, nil
}
