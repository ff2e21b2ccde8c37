package main_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
	"github.com/clavis-dev/clavis/internal/grpcapi"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// maxBatches returns a function per write RPC that sends its largest
// allowed batch (grpcapi.MaxBatchItems items; PostInputs with labels up to
// grpcapi.MaxRequestItems messages in all) as pat's user, into the app
// "batch", with ids unique to the call. The PostInputs batches send one
// image 128 times (stored once) except PostInputsLabelledDistinct's, 128
// different images (128 blobs).
func maxBatches(tb testing.TB, s *testServer, pat string) map[string]func(ctx context.Context) (*st.Status, error) {
	s.newApp(tb, pat, "batch", false)
	app := &pb.UserAppIDSet{UserId: "me", AppId: "batch"}
	img := pngOf(tb, 1)
	var seq atomic.Int64
	n := grpcapi.MaxBatchItems
	labels := grpcapi.MaxRequestItems/n - 1 // the inputs count too
	concepts := func() []*pb.Concept {
		out := make([]*pb.Concept, labels)
		for j := range out {
			out[j] = &pb.Concept{Id: fmt.Sprintf("c%02d", j), Value: 1}
		}
		return out
	}
	// distinct images, one per input of a call: each is a blob of its own.
	// Bytes after the PNG's end change its digest, not its pixels, so that
	// making them costs the client next to nothing.
	distinct := func(k int64) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = fmt.Appendf(append([]byte(nil), img...), "variant %d-%d", k, i)
		}
		return out
	}
	postInputs := func(labelled, different bool) (*st.Status, error) {
		k := seq.Add(1)
		ins := make([]*pb.Input, n)
		var imgs [][]byte
		if different {
			imgs = distinct(k)
		}
		for i := range ins {
			img := img
			if different {
				img = imgs[i]
			}
			ins[i] = &pb.Input{Id: fmt.Sprintf("i%d-%d", k, i), Data: &pb.Data{Image: &pb.Image{Base64: img, AllowDuplicateUrl: true}}}
			if labelled {
				ins[i].Data.Concepts = concepts()
			}
		}
		r, err := s.v2.PostInputs(as(pat), &pb.PostInputsRequest{UserAppId: app, Inputs: ins})
		return r.GetStatus(), err
	}
	return map[string]func(ctx context.Context) (*st.Status, error){
		"PostApps": func(ctx context.Context) (*st.Status, error) {
			r, err := s.v2.PostApps(ctx, &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch(fmt.Sprintf("p%d-", seq.Add(1)), n)})
			return r.GetStatus(), err
		},
		"PatchApps": func(ctx context.Context) (*st.Status, error) {
			apps := appBatch("patched", n)
			for _, a := range apps {
				a.Description = fmt.Sprint("v", seq.Add(1))
			}
			r, err := s.v2.PatchApps(ctx, &pb.PatchAppsRequest{UserAppId: me(), Action: "overwrite", Apps: apps})
			return r.GetStatus(), err
		},
		"PostKeys": func(ctx context.Context) (*st.Status, error) {
			ks := make([]*pb.Key, n)
			for i := range ks {
				ks[i] = pk()
			}
			r, err := s.v2.PostKeys(ctx, &pb.PostKeysRequest{UserAppId: me(), Keys: ks})
			return r.GetStatus(), err
		},
		"PostConcepts": func(ctx context.Context) (*st.Status, error) {
			k := seq.Add(1)
			cs := make([]*pb.Concept, n)
			for i := range cs {
				cs[i] = &pb.Concept{Id: fmt.Sprintf("k%d-%d", k, i), Name: "concept"}
			}
			r, err := s.v2.PostConcepts(ctx, &pb.PostConceptsRequest{UserAppId: app, Concepts: cs})
			return r.GetStatus(), err
		},
		"PostInputs": func(ctx context.Context) (*st.Status, error) {
			return postInputs(false, false)
		},
		"PostInputsLabelled": func(ctx context.Context) (*st.Status, error) {
			return postInputs(true, false)
		},
		"PostInputsLabelledDistinct": func(ctx context.Context) (*st.Status, error) {
			return postInputs(true, true)
		},
	}
}

func noQuotas(c *cmd.Config) { c.Quotas = cmd.QuotasConfig{} }

// BenchmarkMaxBatch times the largest batch each write RPC allows, on the
// embedded SQLite default: the round trip, decoding, checks and the one
// transaction that commits it. docs/errors.md ("Request limits") holds the
// figures, which the item limits are sized by (under 100 ms each).
func BenchmarkMaxBatch(b *testing.B) {
	s := startServer(b, noQuotas)
	pat := s.newUser(b, "batcher")
	ctx := as(pat)
	calls := maxBatches(b, s, pat)
	s.v2.PatchApps(ctx, &pb.PatchAppsRequest{}) // warm up the connection
	if r, err := s.v2.PostApps(ctx, &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch("patched", grpcapi.MaxBatchItems)}); err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
		b.Fatal(r.GetStatus(), err)
	}
	for _, name := range []string{"PostApps", "PatchApps", "PostKeys", "PostConcepts", "PostInputs", "PostInputsLabelled", "PostInputsLabelledDistinct"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if s, err := calls[name](ctx); err != nil || s.GetCode() != st.StatusCode_SUCCESS {
					b.Fatal(s, err)
				}
			}
		})
	}
}

// BenchmarkMaxBatchAtRest times the largest PostInputs batches as
// BenchmarkMaxBatch does, but each on a server at rest: before each call,
// with the timer stopped, it waits until the background jobs of the calls
// before it (processing and embedding 128 inputs each) are done. It is
// what a batch costs on its own; BenchmarkMaxBatch's back-to-back calls
// share the machine with the processing of all the inputs before them.
func BenchmarkMaxBatchAtRest(b *testing.B) {
	s := startServer(b, noQuotas)
	pat := s.newUser(b, "batcher")
	ctx := as(pat)
	calls := maxBatches(b, s, pat)
	db := openRaw(b, s, "")
	rest := func() {
		for db.count(b, `SELECT count(*) FROM jobs`) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, name := range []string{"PostInputs", "PostInputsLabelled", "PostInputsLabelledDistinct"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				rest()
				b.StartTimer()
				if s, err := calls[name](ctx); err != nil || s.GetCode() != st.StatusCode_SUCCESS {
					b.Fatal(s, err)
				}
			}
		})
	}
}

// BenchmarkWriteDuringMaxBatch times one small write by another user
// (PostApps of one app) alone, and while a third user sends the largest
// allowed labelled PostInputs batches back to back: the ratio is what a
// maximal batch costs the other tenants.
func BenchmarkWriteDuringMaxBatch(b *testing.B) {
	s := startServer(b, noQuotas)
	big := s.newUser(b, "big")
	small := as(s.newUser(b, "small"))
	batch := maxBatches(b, s, big)["PostInputsLabelled"]
	var seq atomic.Int64
	write := func(b *testing.B) {
		for b.Loop() {
			r, err := s.v2.PostApps(small, &pb.PostAppsRequest{UserAppId: me(), Apps: appBatch(fmt.Sprintf("s%d-", seq.Add(1)), 1)})
			if err != nil || r.GetStatus().GetCode() != st.StatusCode_SUCCESS {
				b.Fatal(r.GetStatus(), err)
			}
		}
	}
	b.Run("Alone", write)
	b.Run("DuringMaxBatch", func(b *testing.B) {
		ctx, cancel := context.WithCancel(as(big))
		var wg sync.WaitGroup
		var batches atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if st, err := batch(ctx); err == nil && st.GetCode() == 10000 {
					batches.Add(1)
				}
			}
		}()
		write(b)
		cancel()
		wg.Wait()
		b.ReportMetric(float64(batches.Load()), "batches")
	})
}
