package vector_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/vector"
)

// fakeSource is an in-memory vector.Source. While held, each Vectors call
// from anything but a search (a context marked by searching) takes its page,
// says so on waiting, and returns once told to proceed or released: a
// build stops between reading a page and inserting it.
type fakeSource struct {
	mu      sync.Mutex
	vecs    map[vector.Space]map[string][]float32
	order   []vector.Space
	held    bool
	waiting chan struct{}
	proceed chan struct{}
	free    chan struct{} // closed on release
	err     error
}

func newSource() *fakeSource { return &fakeSource{vecs: map[vector.Space]map[string][]float32{}} }

type searchKey struct{}

// searching marks ctx as a search's, which a held source does not hold.
func searching() context.Context { return context.WithValue(context.Background(), searchKey{}, true) }

func (f *fakeSource) put(sp vector.Space, id string, v []float32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.vecs[sp] == nil {
		f.vecs[sp] = map[string][]float32{}
		f.order = append(f.order, sp)
	}
	f.vecs[sp][id] = v
}

func (f *fakeSource) del(sp vector.Space, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.vecs[sp], id)
}

// hold makes builds wait after reading each page; release ends that.
func (f *fakeSource) hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = true
	f.waiting, f.proceed, f.free = make(chan struct{}), make(chan struct{}), make(chan struct{})
	free := f.free
	return func() { close(free) }
}

func (f *fakeSource) Spaces(context.Context) ([]vector.Space, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.order), f.err
}

func (f *fakeSource) Vectors(ctx context.Context, sp vector.Space, after string, limit int) ([]vector.Entry, error) {
	f.mu.Lock()
	if f.err != nil {
		f.mu.Unlock()
		return nil, f.err
	}
	var ids []string
	for id := range f.vecs[sp] {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []vector.Entry
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, vector.Entry{ID: id, Vector: f.vecs[sp][id]})
	}
	held, waiting, proceed, free := f.held, f.waiting, f.proceed, f.free
	f.mu.Unlock()
	if held && ctx.Value(searchKey{}) == nil {
		select {
		case waiting <- struct{}{}:
		case <-free:
			return out, nil
		}
		select {
		case <-proceed:
		case <-free:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

func (f *fakeSource) Get(_ context.Context, sp vector.Space, ids []string) ([]vector.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vector.Entry
	for _, id := range ids {
		if v, ok := f.vecs[sp][id]; ok {
			out = append(out, vector.Entry{ID: id, Vector: v})
		}
	}
	return out, f.err
}

var errSource = errors.New("source unavailable")

func space(app, version string) vector.Space {
	return vector.Space{App: clavis.AppRef{OwnerID: "owner", AppID: app}, Version: version}
}

// clustered returns n unit vectors of dim values, shaped like image
// embeddings: non-negative (features after ReLU) and grouped around
// centres (similar images), with no two alike. Each vector is a centre
// (|N(0, 1)| per coordinate) plus N(0, σ²) noise, clamped at 0 and scaled to
// unit length; with σ = 0.5 a vector's cosine with another of its group is
// about 0.8, with one of another group about 0.5.
func clustered(r *rand.Rand, n, dim, centres int, sigma float64) [][]float32 {
	cs := make([][]float64, centres)
	for i := range cs {
		cs[i] = make([]float64, dim)
		for j := range cs[i] {
			cs[i][j] = math.Abs(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := cs[r.IntN(centres)]
		v := make([]float64, dim)
		var ss float64
		for j := range v {
			v[j] = max(0, c[j]+sigma*r.NormFloat64())
			ss += v[j] * v[j]
		}
		out[i] = make([]float32, dim)
		for j := range v {
			out[i][j] = float32(v[j] / math.Sqrt(ss))
		}
	}
	return out
}
