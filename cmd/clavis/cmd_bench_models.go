package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	pb "github.com/clavis-dev/clavis/api/gen/clarifai/api"
	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/benchkit"
	"github.com/clavis-dev/clavis/internal/inference"
)

// pollEvery is how often the start-up rows ask again.
const pollEvery = time.Millisecond

// startTimes are the milestones of one start, in ms from NewServer.
type startTimes struct{ listen, first, ready float64 }

// startOnce starts a fresh server on models (none for "") and times its
// milestones: the listener open (NewServer and Start returned), the first
// served API call (the bootstrap PAT's MyScopesUser), and the gRPC health
// status SERVING, which waits for the models (readiness).
func startOnce(ctx context.Context, models string) (startTimes, error) {
	var st startTimes
	ms := func(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1e3 }
	t := time.Now()
	s, err := launchBench(ctx, models)
	if err != nil {
		return st, err
	}
	defer s.close()
	st.listen = ms(t)
	patCtx := withKey(s.BootstrapPAT)
	for ok(s.v2.MyScopesUser(patCtx, &pb.MyScopesUserRequest{UserAppId: &pb.UserAppIDSet{UserId: "me"}})) != nil {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		time.Sleep(pollEvery)
	}
	st.first = ms(t)
	for {
		r, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		time.Sleep(pollEvery)
	}
	st.ready = ms(t)
	return st, nil
}

// startupRows times fresh servers' starts, with the models and without:
// the listener open, the first served request and readiness, each round
// one start of each, alternating.
func (h *harness) startupRows(ctx context.Context) {
	models, label := h.o.modelsDir, "with models"
	if models == "" {
		label = "no models"
	}
	var with, without []startTimes
	start := func(models string, into *[]startTimes) func() (float64, error) {
		return func() (float64, error) {
			st, err := startOnce(ctx, models)
			*into = append(*into, st)
			return st.ready, err
		}
	}
	ready := h.pair("start-up to ready (gRPC health SERVING), "+label, "ms", "without models", start(models, &with), start("", &without))
	if h.err != nil {
		return
	}
	// The rounds ran in pairs: ratios of the other milestones round by round.
	row := func(name string, of func(startTimes) float64) benchkit.Row {
		var c, b, r []float64
		for i := range min(len(with), len(without)) {
			c, b = append(c, of(with[i])), append(b, of(without[i]))
			r = append(r, of(with[i])/of(without[i]))
		}
		return benchkit.Row{Name: name + ", " + label, Unit: "ms", Baseline: "without models", Candidate: benchkit.Of(c), Base: benchkit.Of(b), Ratio: benchkit.Of(r)}
	}
	listen := row("start-up to listener open", func(s startTimes) float64 { return s.listen })
	met := listen.Candidate.Median < 200
	listen.Target, listen.Met = "listener < 200 ms with models", &met
	listen.Note = fmt.Sprintf("NewServer + Start, new data dir each round; the models load behind it (--model-loaders %d)", max(1, DefaultModelLoaders))
	h.add(listen)
	first := row("start-up to first served request", func(s startTimes) float64 { return s.first })
	first.Note = "MyScopesUser with the bootstrap PAT, answered while the models load"
	h.add(first)
	ready.Note = "the models loaded (readiness); ONNX Runtime's library loads once per process"
	h.add(ready)
}

// benchModels are the models of the model rows and their images.
var benchModels = []struct{ model, image string }{
	{"ocr-scene-english-paddleocr", "scenetext01.jpg"},
	{"general-image-recognition", "messi5.jpg"},
	{"general-image-detection", "messi5.jpg"},
	{"face-detection", "messi5.jpg"},
	{"nsfw-recognition", "messi5.jpg"},
	{"color-recognition", "messi5.jpg"},
}

// modelRows measures, per model: PostModelOutputs against the bare session
// plus the image's decode, the in-process engine against the same, the
// decode against the bare session (where the time goes), and throughput at
// 2 and 8 callers against the bare session at the same concurrency; then
// RSS. Models without one session on one tensor (OCR, color) are measured
// against the in-process engine.
func (h *harness) modelRows(ctx context.Context) error {
	s, err := startBench(ctx, h.o.modelsDir)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.WaitModels(ctx); err != nil {
		return err
	}
	patCtx := withKey(s.BootstrapPAT)
	main := clavis.AppRef{OwnerID: "clarifai", AppID: "main"}
	rssIdle := rss()
	calls := h.o.calls
	var predict func() error // the fastest model's, for the RSS rows
	fastest := 0.0
	median := func(call func() error) func() (float64, error) {
		return func() (float64, error) {
			lat := make([]float64, 0, calls)
			for range calls {
				t := time.Now()
				if err := call(); err != nil {
					return 0, err
				}
				lat = append(lat, float64(time.Since(t).Microseconds())/1e3)
			}
			return benchkit.Of(lat).Median, nil
		}
	}
	rate := func(callers int, call func() error) func() (float64, error) {
		return func() (float64, error) { return throughput(callers, h.o.round, call) }
	}
	for _, c := range benchModels {
		data, err := os.ReadFile(filepath.Join(h.o.imagesDir, c.image))
		if err != nil {
			return fmt.Errorf("--images: %w", err)
		}
		m, err := s.engine.Model(main, c.model)
		if err != nil || m.Runner == nil {
			fmt.Fprintf(h.log, "bench: %s is not deployed; skipped\n", c.model)
			continue
		}
		req := &pb.PostModelOutputsRequest{UserAppId: &pb.UserAppIDSet{UserId: "clarifai", AppId: "main"}, ModelId: c.model,
			Inputs: []*pb.Input{{Data: &pb.Data{Image: &pb.Image{Base64: data}}}}}
		e2e := func() error { return ok(s.v2.PostModelOutputs(patCtx, req)) }
		engine := func() error {
			res, err := s.engine.Predict(ctx, m, []clavis.Input{{ImageBytes: data}}, clavis.OutputConfig{})
			if err == nil && len(res) == 1 && res[0].Err != nil {
				err = res[0].Err
			}
			return err
		}
		b, isBare := m.Runner.(inference.Bare)
		if !isBare {
			r := h.pair("PostModelOutputs "+c.model+", callers=1", "ms", "engine in process, same bytes", median(e2e), median(engine)).AtMost(1.15)
			r.Note = fmt.Sprintf("median of %d calls per round; no single session to run bare: the baseline decodes, pre-processes, runs the sessions and post-processes (%s)", calls, c.image)
			h.add(r)
		} else {
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("%s: %w", c.image, err)
			}
			session := b.Bare(img)
			bare := func() error { return session(ctx) }
			decodeBare := func() error {
				if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
					return err
				}
				return session(ctx)
			}
			r := h.pair("PostModelOutputs "+c.model+", callers=1", "ms", "bare session + image decode", median(e2e), median(decodeBare)).AtMost(1.15)
			r.Note = fmt.Sprintf("median of %d calls per round; the baseline decodes %s with image.Decode and runs the session on a tensor built once", calls, c.image)
			h.add(r)
			r = h.pair("engine in process "+c.model+", callers=1", "ms", "bare session + image decode", median(engine), median(decodeBare))
			r.Note = "the engine's own work: the tensor built from the decoded image, post-processing, the worker pool"
			h.add(r)
			r = h.pair("bare session + image decode "+c.model, "ms", "bare session", median(decodeBare), median(bare))
			r.Note = "the decode's share of the baseline"
			h.add(r)
			for _, n := range []int{2, 8} {
				r = h.pair(fmt.Sprintf("PostModelOutputs %s, callers=%d", c.model, n), "calls/s", fmt.Sprintf("bare session, callers=%d", n), rate(n, e2e), rate(n, bare)).AtLeast(1 / 1.15)
				r.Note = "throughput; the bare session neither decodes nor builds tensors"
				h.add(r)
			}
		}
		if h.err != nil {
			return h.err
		}
		if r := h.rows[len(h.rows)-1]; !isBare {
			if predict == nil || r.Candidate.Median < fastest {
				predict, fastest = e2e, r.Candidate.Median
			}
		} else if lat := h.rows[len(h.rows)-5].Candidate.Median; predict == nil || lat < fastest {
			predict, fastest = e2e, lat
		}
	}
	if predict == nil {
		return nil
	}
	return h.rssRows(predict, rssIdle)
}

// rssRows predicts --predictions times, then nine times as many, and
// reports RSS after each against idle and the first.
func (h *harness) rssRows(predict func() error, rssIdle float64) error {
	fmt.Fprintf(h.log, "bench: %d predictions, then %d more\n", h.o.predictions, 9*h.o.predictions)
	run := func(n int) error {
		for range n {
			if err := predict(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(h.o.predictions); err != nil {
		return err
	}
	rss1 := rss()
	if err := run(9 * h.o.predictions); err != nil {
		return err
	}
	rss10 := rss()
	one := func(v float64) benchkit.Stat { return benchkit.Stat{Min: v, Median: v, Max: v} }
	r := benchkit.Row{Name: fmt.Sprintf("RSS after %d predictions", h.o.predictions), Unit: "MB", Baseline: "idle",
		Candidate: one(rss1), Base: one(rssIdle), Ratio: one(rss1 / rssIdle), Note: "one measurement, not interleaved; the harness's own memory included"}
	h.add(r)
	r = benchkit.Row{Name: fmt.Sprintf("RSS after %d predictions", 10*h.o.predictions), Unit: "MB", Baseline: fmt.Sprintf("after %d", h.o.predictions),
		Candidate: one(rss10), Base: one(rss1), Ratio: one(rss10 / rss1), Note: "one measurement, not interleaved"}
	h.add(r.AtMost(1.3))
	return nil
}

// rss returns the process's resident set in MB, from /proc (0 elsewhere).
func rss() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// waitServing polls the gRPC health check until it says SERVING, for at
// most limit.
func (b *benchServer) waitServing(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		r, err := b.health.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server was not ready after %v: health %v, %v", limit, r.GetStatus(), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
