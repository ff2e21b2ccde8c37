package vector_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/vector"
)

// fill stores n clustered vectors of dim values in sp as ids v0000…, and
// returns them by id.
func fill(src *fakeSource, sp vector.Space, n, dim int, seed uint64) map[string][]float32 {
	vecs := clustered(rand.New(rand.NewPCG(seed, 7)), n, dim, max(1, n/20), 0.5)
	out := map[string][]float32{}
	for i, v := range vecs {
		id := fmt.Sprintf("v%04d", i)
		src.put(sp, id, v)
		out[id] = v
	}
	return out
}

// started returns an index of src, started, whose builds have all ended.
func started(t *testing.T, src *fakeSource, cfg vector.Config, spaces ...vector.Space) *vector.Index {
	t.Helper()
	x := vector.New(src, cfg)
	if err := x.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	for _, sp := range spaces {
		if err := x.Wait(context.Background(), sp); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func search(t *testing.T, x *vector.Index, sp vector.Space, q vector.Query) vector.Result {
	t.Helper()
	r, err := x.Search(searching(), sp, q)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	return r
}

func ids(hits []vector.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

// recall returns the share of want's ids that got holds.
func recall(got, want []vector.Hit) float64 {
	n := 0
	for _, w := range want {
		if slices.ContainsFunc(got, func(h vector.Hit) bool { return h.ID == w.ID }) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func TestApproximateMatchesExact(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	vecs := fill(src, sp, 2000, 64, 1)
	x := started(t, src, vector.Config{}, sp)
	if st := x.Stats(sp); !st.Ready || st.Building || st.Vectors != 2000 || st.Bytes <= 0 || x.Used() != st.Bytes {
		t.Fatalf("Stats = %+v, Used %d; want a ready index of 2000 vectors", st, x.Used())
	}
	var sum float64
	queries := 0
	for id, v := range vecs {
		if queries == 50 {
			break
		}
		queries++
		approx := search(t, x, sp, vector.Query{Vector: v, K: 10})
		exact := search(t, x, sp, vector.Query{Vector: v, K: 10, Algorithm: vector.BruteForce})
		if approx.Exact || !exact.Exact || len(approx.Hits) != 10 || len(exact.Hits) != 10 {
			t.Fatalf("approximate %+v, exact %+v", approx, exact)
		}
		if exact.Hits[0].ID != id || exact.Hits[0].Score != 1 {
			t.Fatalf("exact search for %s puts %+v first", id, exact.Hits[0])
		}
		sum += recall(approx.Hits, exact.Hits)
	}
	if r := sum / float64(queries); r < 0.95 {
		t.Errorf("recall@10 = %.3f, want ≥ 0.95", r)
	}
}

// TestExactWhileBuilding holds the build after it has read its second page:
// searches are exact from the source meanwhile, and the changes made then
// (a delete of a vector on the page read, a new vector for another id on
// it, a new id) are in the index the build makes.
func TestExactWhileBuilding(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	vecs := fill(src, sp, 100, 8, 2)
	release := src.hold()
	x := vector.New(src, vector.Config{PageSize: 10})
	if err := x.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	<-src.waiting // page 1 read
	src.proceed <- struct{}{}
	<-src.waiting // page 1 inserted, page 2 read

	if st := x.Stats(sp); st.Ready || !st.Building {
		t.Fatalf("Stats while building = %+v", st)
	}
	q := vector.Query{Vector: vecs["v0015"], K: 3}
	if r := search(t, x, sp, q); !r.Exact || r.Hits[0].ID != "v0015" {
		t.Fatalf("search while building = %+v, want exact with v0015 first", r)
	}
	// v0015 (on page 2, read already) is deleted; v0012 gets v0015's old
	// vector; v9999 is new.
	src.del(sp, "v0015")
	x.Deleted(sp, "v0015")
	src.put(sp, "v0012", vecs["v0015"])
	src.put(sp, "v9999", vecs["v0050"])
	if err := x.Added(context.Background(), sp, "v0012", "v9999"); err != nil {
		t.Fatal(err)
	}
	if r := search(t, x, sp, q); r.Hits[0].ID != "v0012" || slices.Contains(ids(r.Hits), "v0015") {
		t.Fatalf("search after the changes = %+v, want v0012 first and no v0015", r)
	}
	release()
	if err := x.Wait(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(sp); !st.Ready || st.Vectors != 100 {
		t.Fatalf("Stats after the build = %+v, want 100 vectors ready", st)
	}
	for _, algo := range []vector.Algorithm{vector.NearestNeighbor, vector.BruteForce} {
		q.Algorithm = algo
		r := search(t, x, sp, q)
		if r.Hits[0].ID != "v0012" || r.Hits[0].Score != 1 || slices.Contains(ids(r.Hits), "v0015") {
			t.Errorf("%v after the build = %+v, want v0012 first and no v0015", algo, r)
		}
		near50 := search(t, x, sp, vector.Query{Vector: vecs["v0050"], K: 2, Algorithm: algo})
		if !slices.Equal(ids(near50.Hits), []string{"v0050", "v9999"}) {
			t.Errorf("%v: nearest v0050 = %v, want v0050 and v9999", algo, ids(near50.Hits))
		}
	}
}

// TestDeletes deletes most of a space: no search returns a deleted vector,
// and once deleted vectors outnumber live ones the index is rebuilt
// without them.
func TestDeletes(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	vecs := fill(src, sp, 300, 16, 3)
	x := started(t, src, vector.Config{PageSize: 50}, sp)
	deleted := map[string]bool{}
	for i := range 200 {
		id := fmt.Sprintf("v%04d", i)
		src.del(sp, id)
		deleted[id] = true
	}
	for id := range deleted {
		x.Deleted(sp, id)
	}
	for _, algo := range []vector.Algorithm{vector.NearestNeighbor, vector.BruteForce} {
		for i := 0; i < 300; i += 7 {
			r := search(t, x, sp, vector.Query{Vector: vecs[fmt.Sprintf("v%04d", i)], K: 20, Algorithm: algo})
			if len(r.Hits) != 20 {
				t.Fatalf("%v: %d hits, want 20", algo, len(r.Hits))
			}
			for _, h := range r.Hits {
				if deleted[h.ID] {
					t.Fatalf("%v: deleted %s is a hit", algo, h.ID)
				}
			}
		}
	}
	if err := x.Wait(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(sp); !st.Ready || st.Vectors != 100 || st.Deleted != 0 {
		t.Errorf("Stats after deleting 2/3 = %+v, want a rebuilt index of 100 vectors, none deleted", st)
	}
}

// TestOverBudget gives the index room for one small space: the big one is
// searched exactly, from the source, and holds no memory.
func TestOverBudget(t *testing.T) {
	src := newSource()
	small, big := space("small", "v1"), space("big", "v1")
	fill(src, small, 10, 32, 4)
	vecs := fill(src, big, 200, 32, 5)
	x := started(t, src, vector.Config{MemoryBudget: 20 << 10, PageSize: 30}, small, big)
	if st := x.Stats(small); !st.Ready || st.OverBudget {
		t.Errorf("small space: %+v, want ready", st)
	}
	st := x.Stats(big)
	if st.Ready || !st.OverBudget || st.Bytes != 0 || x.Used() != x.Stats(small).Bytes {
		t.Fatalf("big space: %+v, Used %d; want it over budget, holding nothing", st, x.Used())
	}
	r := search(t, x, big, vector.Query{Vector: vecs["v0123"], K: 5})
	if !r.Exact || r.Hits[0].ID != "v0123" || len(r.Hits) != 5 {
		t.Errorf("search of the big space = %+v, want exact with v0123 first", r)
	}
	// Changes go on in the source and show in its exact searches.
	src.del(big, "v0123")
	x.Deleted(big, "v0123")
	src.put(big, "new", vecs["v0123"])
	if err := x.Added(context.Background(), big, "new"); err != nil {
		t.Fatal(err)
	}
	if r := search(t, x, big, vector.Query{Vector: vecs["v0123"], K: 1}); r.Hits[0].ID != "new" {
		t.Errorf("after the changes: %+v, want new first", r)
	}
}

// TestTiesAndFilters checks that equal scores rank by id under both
// algorithms and both metrics, and min scores and allow filters.
func TestTiesAndFilters(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	fill(src, sp, 200, 8, 6)
	same := []float32{1, 0, 0, 0, 0, 0, 0, 0}
	for _, id := range []string{"tie-c", "tie-a", "tie-b"} {
		src.put(sp, id, same)
	}
	x := started(t, src, vector.Config{}, sp)
	for _, m := range []vector.Metric{vector.Euclidean, vector.Cosine} {
		for _, a := range []vector.Algorithm{vector.NearestNeighbor, vector.BruteForce} {
			r := search(t, x, sp, vector.Query{Vector: same, K: 3, Metric: m, Algorithm: a})
			if !slices.Equal(ids(r.Hits), []string{"tie-a", "tie-b", "tie-c"}) || r.Hits[0].Score != 1 {
				t.Errorf("%v %v: %+v, want the three ties by id, score 1", m, a, r.Hits)
			}
			if r.Exact != (m == vector.Cosine || a == vector.BruteForce) {
				t.Errorf("%v %v: exact = %v", m, a, r.Exact)
			}
			r = search(t, x, sp, vector.Query{Vector: same, K: 10, Metric: m, Algorithm: a, Allow: func(id string) bool { return id != "tie-a" }})
			if !slices.Equal(ids(r.Hits[:2]), []string{"tie-b", "tie-c"}) || slices.Contains(ids(r.Hits), "tie-a") {
				t.Errorf("%v %v with tie-a disallowed: %v", m, a, ids(r.Hits))
			}
			r = search(t, x, sp, vector.Query{Vector: same, K: 10, Metric: m, Algorithm: a, MinScore: 0.999})
			if len(r.Hits) != 3 {
				t.Errorf("%v %v with min score 0.999: %v, want the three ties", m, a, r.Hits)
			}
			// An allow filter that keeps two ids of 203: the beam widens until it finds them.
			r = search(t, x, sp, vector.Query{Vector: same, K: 2, Metric: m, Algorithm: a, Allow: func(id string) bool { return id == "v0001" || id == "v0150" }})
			if !slices.Equal(slices.Sorted(slices.Values(ids(r.Hits))), []string{"v0001", "v0150"}) {
				t.Errorf("%v %v, allowing v0001 and v0150: %v", m, a, ids(r.Hits))
			}
		}
	}
}

// TestSpacesApart stores the same ids in two apps and in two versions of
// one: searches return only their own space's vectors.
func TestSpacesApart(t *testing.T) {
	src := newSource()
	a1, a2, b1 := space("a", "v1"), space("a", "v2"), space("b", "v1")
	for _, sp := range []vector.Space{a1, a2, b1} {
		src.put(sp, "x", []float32{1, 0})
		src.put(sp, "only-"+sp.App.AppID+sp.Version, []float32{0, 1})
	}
	x := started(t, src, vector.Config{}, a1, a2, b1)
	for _, sp := range []vector.Space{a1, a2, b1} {
		for _, algo := range []vector.Algorithm{vector.NearestNeighbor, vector.BruteForce} {
			r := search(t, x, sp, vector.Query{Vector: []float32{0, 1}, K: 10, Algorithm: algo})
			if want := []string{"only-" + sp.App.AppID + sp.Version, "x"}; !slices.Equal(ids(r.Hits), want) {
				t.Errorf("%s %v: %v, want %v", sp, algo, ids(r.Hits), want)
			}
		}
	}
	x.Deleted(a1, "x")
	if r := search(t, x, a2, vector.Query{Vector: []float32{1, 0}, K: 1}); ids(r.Hits)[0] != "x" {
		t.Errorf("deleting x in %s removed it from %s", a1, a2)
	}
}

func TestQueryErrors(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	src.put(sp, "a", []float32{1, 0, 0})
	x := started(t, src, vector.Config{}, sp)
	unready := space("other", "v1")
	src.put(unready, "a", []float32{1, 0, 0})
	for _, tt := range []struct {
		name string
		sp   vector.Space
		q    vector.Query
	}{
		{"Empty", sp, vector.Query{K: 1}},
		{"WrongLength", sp, vector.Query{Vector: []float32{1, 0}, K: 1}},
		{"WrongLengthFromSource", unready, vector.Query{Vector: []float32{1, 0}, K: 1, Algorithm: vector.BruteForce}},
		{"UnknownMetric", sp, vector.Query{Vector: []float32{1, 0, 0}, K: 1, Metric: 7}},
		{"UnknownAlgorithm", sp, vector.Query{Vector: []float32{1, 0, 0}, K: 1, Algorithm: 7}},
		{"NegativeK", sp, vector.Query{Vector: []float32{1, 0, 0}, K: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// "other" is not indexed yet (no Wait): it is searched from the source.
			if _, err := x.Search(searching(), tt.sp, tt.q); clavis.ErrorCode(err) != clavis.EInvalid {
				t.Errorf("Search error %v, want EInvalid", err)
			}
		})
	}
	if r, err := x.Search(searching(), sp, vector.Query{Vector: []float32{1, 0, 0}}); err != nil || len(r.Hits) != 0 {
		t.Errorf("K = 0: %+v, %v; want no hits", r, err)
	}
	src.put(sp, "long", []float32{1, 2, 3, 4})
	if err := x.Added(context.Background(), sp, "long"); err == nil {
		t.Error("a vector of another length was added")
	}
}

func TestSourceErrors(t *testing.T) {
	src, sp := newSource(), space("photos", "v1")
	src.put(sp, "a", []float32{1, 0})
	src.err = errSource
	x := vector.New(src, vector.Config{})
	defer x.Close()
	if err := x.Start(context.Background()); !errors.Is(err, errSource) {
		t.Errorf("Start error %v, want the source's", err)
	}
	if _, err := x.Search(searching(), sp, vector.Query{Vector: []float32{1, 0}, K: 1}); !errors.Is(err, errSource) {
		t.Errorf("Search error %v, want the source's", err)
	}
	if err := x.Wait(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(sp); st.Ready || !errors.Is(st.Err, errSource) {
		t.Errorf("Stats = %+v, want a failed build", st)
	}
	// Once the source is back, an added vector has the index built again.
	src.mu.Lock()
	src.err = nil
	src.mu.Unlock()
	src.put(sp, "b", []float32{0, 1})
	if err := x.Added(context.Background(), sp, "b"); err != nil {
		t.Fatal(err)
	}
	if err := x.Wait(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(sp); !st.Ready || st.Err != nil || st.Vectors != 2 {
		t.Errorf("Stats after Added = %+v, want a ready index of 2", st)
	}
	// Resync rebuilds it from the source too.
	src.mu.Lock()
	src.err = errSource
	src.mu.Unlock()
	if err := x.Resync(context.Background()); !errors.Is(err, errSource) {
		t.Errorf("Resync error %v, want the source's", err)
	}
	src.mu.Lock()
	src.err = nil
	src.mu.Unlock()
	if err := x.Resync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := x.Wait(context.Background(), sp); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(sp); !st.Ready || st.Err != nil || st.Vectors != 2 {
		t.Errorf("Stats after Resync = %+v, want a ready index", st)
	}
}
