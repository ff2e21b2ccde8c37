package vector_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/internal/vector"
)

// benchDim is general-image-embedding's dimension.
const benchDim = 1792

// benchQueries is how many held-out query vectors each size has.
const benchQueries = 200

// benchSet is one space of n vectors, indexed, with queries and their
// exact top 10.
type benchSet struct {
	x       *vector.Index
	sp      vector.Space
	queries [][]float32
	truth   [][]vector.Hit
	build   time.Duration
}

var (
	benchMu   sync.Mutex
	benchSets = map[int]*benchSet{}
)

// benchSetOf builds the set of n vectors once per process: n + benchQueries
// clustered vectors (see clustered; n/100 centres, σ = 0.5), the last
// benchQueries held out as queries.
func benchSetOf(b *testing.B, n int) *benchSet {
	benchMu.Lock()
	defer benchMu.Unlock()
	if s, ok := benchSets[n]; ok {
		return s
	}
	vecs := clustered(rand.New(rand.NewPCG(uint64(n), 1)), n+benchQueries, benchDim, n/100, 0.5)
	src, sp := newSource(), space("bench", "v1")
	for i, v := range vecs[:n] {
		src.put(sp, fmt.Sprintf("v%07d", i), v)
	}
	x := vector.New(src, vector.Config{MemoryBudget: 4 << 30})
	start := time.Now()
	if err := x.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := x.Wait(context.Background(), sp); err != nil {
		b.Fatal(err)
	}
	s := &benchSet{x: x, sp: sp, queries: vecs[n:], build: time.Since(start)}
	st := x.Stats(sp)
	b.Logf("n=%d: index of %d vectors built in %s, %.0f MB", n, st.Vectors, s.build.Round(time.Second), float64(st.Bytes)/1e6)
	for _, q := range s.queries {
		r, err := x.Search(context.Background(), sp, vector.Query{Vector: q, K: 10, Algorithm: vector.BruteForce})
		if err != nil {
			b.Fatal(err)
		}
		s.truth = append(s.truth, r.Hits)
	}
	benchSets[n] = s
	return s
}

// BenchmarkSearch times top-10 searches of one space of 10k and 100k
// vectors of 1792 values, approximate (nearest_neighbor) and exact
// (brute_force) in the same run, and reports p50 and p99 latencies and
// the approximate search's recall@10 against the exact one. Run it with
// -benchtime 200x (one op is one query; percentiles need many).
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := benchSetOf(b, n)
			for _, algo := range []vector.Algorithm{vector.NearestNeighbor, vector.BruteForce} {
				name := map[vector.Algorithm]string{vector.NearestNeighbor: "nearest_neighbor", vector.BruteForce: "brute_force"}[algo]
				b.Run(name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					var found float64
					i := 0
					for b.Loop() {
						qi := i % len(s.queries)
						start := time.Now()
						r, err := s.x.Search(context.Background(), s.sp, vector.Query{Vector: s.queries[qi], K: 10, Algorithm: algo})
						lat = append(lat, time.Since(start))
						if err != nil {
							b.Fatal(err)
						}
						found += recall(r.Hits, s.truth[qi])
						i++
					}
					slices.Sort(lat)
					ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
					b.ReportMetric(ms(0.5), "p50-ms")
					b.ReportMetric(ms(0.99), "p99-ms")
					b.ReportMetric(found/float64(i), "recall@10")
				})
			}
		})
	}
}
