package vector

import (
	"context"
	"fmt"

	"github.com/clavis-dev/clavis/clavis"
)

// Query is a search for the stored vectors nearest Vector.
type Query struct {
	Vector    []float32
	Metric    Metric
	Algorithm Algorithm
	// K is how many hits to return at most: for page p (from 1) of n hits,
	// p·n. 0 returns none.
	K int
	// MinScore drops hits scoring below it (Clarifai's min_value).
	MinScore float32
	// Allow, if set, says which ids may be hits (those the query's other
	// filters keep). An approximate search widens its beam until it finds
	// K allowed hits or has seen the whole index, so for an Allow that
	// keeps few ids BruteForce is faster.
	Allow func(id string) bool
}

// Result is what a search found: the hits, best first (by score, ties by
// id), and whether they were found exactly.
type Result struct {
	Hits  []Hit
	Exact bool
}

// Search returns the hits of q in sp. It is approximate when q asks for
// NearestNeighbor with the Euclidean metric and sp's index is ready, and
// exact otherwise (Cosine is always exact, as on Clarifai, where only brute
// force supports other metrics than the Euclidean): from the index's
// memory when it is ready, from the Source when the index is building or
// over budget. Hits are never deleted vectors (as far as Deleted has been
// told) nor vectors of another space. Errors are clavis.EInvalid for a bad
// query (empty vector, one of the wrong length, unknown metric or
// algorithm), or the Source's.
func (x *Index) Search(ctx context.Context, sp Space, q Query) (Result, error) {
	if err := q.check(); err != nil || q.K == 0 {
		return Result{Exact: true}, err
	}
	s := x.space(sp)
	s.mu.RLock()
	if g := s.cur; g != nil && g.dim != 0 {
		defer s.mu.RUnlock()
		if len(q.Vector) != g.dim {
			return Result{}, clavis.Errorf(clavis.EInvalid, "the query vector has %d values; the vectors searched have %d", len(q.Vector), g.dim)
		}
		if q.Algorithm == NearestNeighbor && q.Metric == Euclidean {
			return Result{Hits: x.approximate(g, q)}, nil
		}
		return Result{Hits: exactGraph(g, q), Exact: true}, nil
	}
	s.mu.RUnlock()
	hits, err := x.exactSource(ctx, sp, q)
	return Result{Hits: hits, Exact: true}, err
}

func (q *Query) check() error {
	switch {
	case len(q.Vector) == 0:
		return clavis.Errorf(clavis.EInvalid, "the query vector is empty")
	case q.Metric != Euclidean && q.Metric != Cosine:
		return clavis.Errorf(clavis.EInvalid, "unknown metric %d: want EUCLIDEAN_DISTANCE or COSINE_DISTANCE", int(q.Metric))
	case q.Algorithm != NearestNeighbor && q.Algorithm != BruteForce:
		return clavis.Errorf(clavis.EInvalid, "unknown search algorithm %d", int(q.Algorithm))
	case q.K < 0:
		return clavis.Errorf(clavis.EInvalid, "a search cannot return %d hits", q.K)
	}
	return nil
}

// keep reports whether a vector of id scoring score is a hit of q.
func (q *Query) keep(id string, score float32) bool {
	return score >= q.MinScore && (q.Allow == nil || q.Allow(id))
}

// approximate searches g with a beam of max(SearchEF, K), widened fourfold
// until K hits are found, the beam covers the graph, or its farthest node
// scores below MinScore (nodes farther still would too).
func (x *Index) approximate(g *graph, q Query) []Hit {
	total := len(g.ids)
	for ef := max(x.cfg.SearchEF, q.K); ; ef *= 4 {
		top := newTopK(q.K)
		n := 0
		cands := g.search(q.Vector, ef)
		for _, c := range cands {
			if g.deleted[c.node] {
				continue
			}
			if score := euclideanScore(c.dist); q.keep(g.ids[c.node], score) {
				top.offer(Hit{ID: g.ids[c.node], Score: score})
				n++
			}
		}
		if n >= q.K || ef >= total || len(cands) > 0 && euclideanScore(cands[len(cands)-1].dist) < q.MinScore {
			return top.hits()
		}
	}
}

// exactGraph compares q with every live vector of g.
func exactGraph(g *graph, q Query) []Hit {
	top := newTopK(q.K)
	for n, id := range g.ids {
		if g.deleted[n] {
			continue
		}
		if score := Score(q.Metric, q.Vector, g.vecs[n]); q.keep(id, score) {
			top.offer(Hit{ID: id, Score: score})
		}
	}
	return top.hits()
}

// exactSource compares q with every vector of sp the Source holds.
func (x *Index) exactSource(ctx context.Context, sp Space, q Query) ([]Hit, error) {
	top := newTopK(q.K)
	for after := ""; ; {
		page, err := x.src.Vectors(ctx, sp, after, x.cfg.PageSize)
		if err != nil {
			return nil, fmt.Errorf("vector: searching %s: %w", sp, err)
		}
		for _, e := range page {
			if len(e.Vector) != len(q.Vector) {
				return nil, clavis.Errorf(clavis.EInvalid, "the query vector has %d values; the vectors searched have %d", len(q.Vector), len(e.Vector))
			}
			if score := Score(q.Metric, q.Vector, e.Vector); q.keep(e.ID, score) {
				top.offer(Hit{ID: e.ID, Score: score})
			}
		}
		if len(page) < x.cfg.PageSize {
			return top.hits(), nil
		}
		after = page[len(page)-1].ID
	}
}
