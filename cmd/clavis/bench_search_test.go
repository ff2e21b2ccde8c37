package main_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/vector"
)

// clusteredVectors returns n unit vectors of dim non-negative values around
// centres centres, shaped like image embeddings (as internal/vector's
// benchmark draws them): each a centre of |N(0,1)| values plus N(0, σ²)
// noise, clamped at 0.
func clusteredVectors(r *rand.Rand, n, dim, centres int, sigma float64) [][]float32 {
	cs := make([][]float64, centres)
	for i := range cs {
		cs[i] = make([]float64, dim)
		for j := range cs[i] {
			cs[i][j] = math.Abs(r.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c, v, ss := cs[r.IntN(centres)], make([]float64, dim), 0.0
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

// BenchmarkSearchWire times visual searches over gRPC (PostInputsSearches
// ranked by a vector, top 10) of one app of 10,000 stored embeddings on
// PostgreSQL (and 100,000 with CLAVIS_BENCH_SEARCH_100K=1), approximate
// (nearest_neighbor, the index) and exact (brute_force) in the same run,
// and reports p50 and p99 latencies and the approximate search's recall@10
// against the exact one. One op is one query: run it with -benchtime 200x.
func BenchmarkSearchWire(b *testing.B) {
	sizes := []int{10_000}
	if os.Getenv("CLAVIS_BENCH_SEARCH_100K") == "1" {
		sizes = append(sizes, 100_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			const queries, dim = 200, 1792
			dsn := pgtest.NewDatabase(b)
			s := startServer(b, onPostgres(dsn))
			s.newApp(b, s.pat, "bench", false)
			app := clavis.AppRef{OwnerID: "admin", AppID: "bench"}
			vecs := clusteredVectors(rand.New(rand.NewPCG(uint64(n), 1)), n+queries, dim, n/100, 0.5)
			ctx := context.Background()
			db, err := postgres.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			now := time.Now()
			for i := 0; i < n; i += 500 {
				var ins []*clavis.StoredInput
				for j := i; j < min(i+500, n); j++ {
					ins = append(ins, &clavis.StoredInput{App: app, ID: fmt.Sprintf("in%07d", j), Status: clavis.InputSuccess, CreatedAt: now, UpdatedAt: now})
				}
				err := db.WithTx(ctx, func(tx clavis.Tx) error {
					if err := tx.Inputs().CreateInputs(ctx, app, ins); err != nil {
						return err
					}
					for _, in := range ins {
						var j int
						fmt.Sscanf(in.ID, "in%d", &j)
						if err := tx.Embeddings().PutEmbedding(ctx, app, service.EmbedderVersion, in.ID, vecs[j], now); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			idx, sp := s.SearchIndex(), vector.Space{App: app, Version: service.EmbedderVersion}
			start := time.Now()
			if err := idx.Resync(ctx); err != nil {
				b.Fatal(err)
			}
			if err := idx.Wait(ctx, sp); err != nil || !idx.Stats(sp).Ready {
				b.Fatalf("index not ready: %v %+v", err, idx.Stats(sp))
			}
			b.Logf("n=%d: stored, and indexed in %s (%d vectors, %.0f MB)", n, time.Since(start).Round(time.Second), idx.Stats(sp).Vectors, float64(idx.Stats(sp).Bytes)/1e6)

			search := func(q []float32, algorithm string) []string {
				r, err := s.v2.PostInputsSearches(as(s.pat), &pb.PostInputsSearchesRequest{UserAppId: appIDs("admin", "bench"),
					Searches:   []*pb.Search{{Algorithm: algorithm, Query: &pb.Query{Ranks: []*pb.Rank{{Annotation: &pb.Annotation{Data: &pb.Data{Embeddings: []*pb.Embedding{{Vector: q}}}}}}}}},
					Pagination: &pb.Pagination{PerPage: 10}})
				wantCode(b, r, err, st.StatusCode_SUCCESS)
				ids := make([]string, len(r.GetHits()))
				for i, h := range r.GetHits() {
					ids[i] = h.GetInput().GetId()
				}
				return ids
			}
			truth := make([][]string, queries)
			for i := range truth {
				truth[i] = search(vecs[n+i], "brute_force")
			}
			for _, algorithm := range []string{"nearest_neighbor", "brute_force"} {
				b.Run(algorithm, func(b *testing.B) {
					var lat []time.Duration
					var found float64
					i := 0
					for b.Loop() {
						qi := i % queries
						t0 := time.Now()
						ids := search(vecs[n+qi], algorithm)
						lat = append(lat, time.Since(t0))
						hit := 0
						for _, id := range ids {
							if slices.Contains(truth[qi], id) {
								hit++
							}
						}
						found += float64(hit) / float64(len(truth[qi]))
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
