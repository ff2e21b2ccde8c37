package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/jobs"
	"github.com/clavis-dev/clavis/internal/service"
	"github.com/clavis-dev/clavis/internal/store/blobdir"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/vector"
)

// InputsConfig bounds what apps store and the background work on their
// inputs. docs/inputs.md ("Limits") explains each.
type InputsConfig struct {
	// MaxInputsPerApp bounds the inputs one app holds; 0 means no bound
	// (CLAVIS_APP_MAX_INPUTS).
	MaxInputsPerApp int64
	// MaxBytesPerApp bounds the bytes of the images one app stores, each
	// distinct image once; 0 means no bound (CLAVIS_APP_MAX_BYTES).
	MaxBytesPerApp int64
	// JobWorkers bounds the background jobs (fetching, annotating) that
	// run at once on this server (CLAVIS_JOB_WORKERS).
	JobWorkers int
	// PublicURL, when set, is the scheme and host that hosted image URLs
	// start with, such as https://clavis.example.com; empty means the host
	// each request was sent to, over http unless the gRPC connection is TLS
	// (CLAVIS_PUBLIC_URL).
	PublicURL string
	// SearchMemory bounds the bytes the vector indexes of visual search
	// hold, all apps together; an app whose index would pass it is
	// searched exactly (CLAVIS_SEARCH_MEMORY). docs/search.md explains it.
	SearchMemory int64
}

func defaultInputsConfig() InputsConfig {
	return InputsConfig{MaxInputsPerApp: 1_000_000, MaxBytesPerApp: 10 << 30, JobWorkers: 4, SearchMemory: vector.DefaultMemoryBudget}
}

// bindFlags registers the flags of c on fs, with defaults taken from c.
func (c *InputsConfig) bindFlags(fs *flag.FlagSet) {
	fs.Int64Var(&c.MaxInputsPerApp, "app-max-inputs", c.MaxInputsPerApp, "inputs one app may hold; 0 = no bound (env CLAVIS_APP_MAX_INPUTS)")
	fs.Int64Var(&c.MaxBytesPerApp, "app-max-bytes", c.MaxBytesPerApp, "bytes of images one app may store; 0 = no bound (env CLAVIS_APP_MAX_BYTES)")
	fs.IntVar(&c.JobWorkers, "job-workers", c.JobWorkers, "background jobs (fetching and annotating inputs) run at once (env CLAVIS_JOB_WORKERS)")
	fs.Int64Var(&c.SearchMemory, "search-memory", c.SearchMemory, "bytes the vector indexes of visual search may hold, all apps together (env CLAVIS_SEARCH_MEMORY)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "scheme and host of hosted image URLs, e.g. https://clavis.example.com; default the host each request names (env CLAVIS_PUBLIC_URL)")
}

// fromEnv overrides c with the CLAVIS_* variables that are set.
func (c *InputsConfig) fromEnv(getenv func(string) string) error {
	for _, n := range []struct {
		env string
		dst *int64
	}{{"CLAVIS_APP_MAX_INPUTS", &c.MaxInputsPerApp}, {"CLAVIS_APP_MAX_BYTES", &c.MaxBytesPerApp}, {"CLAVIS_SEARCH_MEMORY", &c.SearchMemory}} {
		if v := getenv(n.env); v != "" {
			i, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", n.env, err)
			}
			*n.dst = i
		}
	}
	if v := getenv("CLAVIS_JOB_WORKERS"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("CLAVIS_JOB_WORKERS: %w", err)
		}
		c.JobWorkers = i
	}
	if v := getenv("CLAVIS_PUBLIC_URL"); v != "" {
		c.PublicURL = v
	}
	return nil
}

// validate refuses settings the server cannot run with.
func (c *InputsConfig) validate() error {
	switch {
	case c.MaxInputsPerApp < 0:
		return fmt.Errorf("--app-max-inputs must be 0 (no bound) or more")
	case c.MaxBytesPerApp < 0:
		return fmt.Errorf("--app-max-bytes must be 0 (no bound) or more")
	case c.JobWorkers < 1:
		return fmt.Errorf("--job-workers must be at least 1")
	case c.SearchMemory < 1:
		return fmt.Errorf("--search-memory must be at least 1 byte")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--public-url must be a scheme and host, such as https://clavis.example.com")
		}
	}
	return nil
}

func (c *InputsConfig) limits() service.InputLimits {
	return service.InputLimits{MaxInputs: c.MaxInputsPerApp, MaxBytes: c.MaxBytesPerApp}
}

// openBlobs returns the blob store that goes with db: the database itself
// on PostgreSQL, so that every replica serves the images; files in
// <data-dir>/blobs on the embedded store.
func (c *Config) openBlobs(db clavis.Store) (clavis.BlobStore, error) {
	if pg, ok := db.(*postgres.DB); ok {
		return pg.Blobs(), nil
	}
	return blobdir.Open(filepath.Join(c.DataDir, blobsDir))
}

// Background work of the server.
const (
	// jobGrace is how long shutdown waits for running background jobs
	// before handing them back to the queue.
	jobGrace = 10 * time.Second
	// sweepInterval is how often the data of deleted apps and dead writers'
	// reservations are looked for, besides when an app is deleted.
	sweepInterval = time.Minute
)

// wakeBackground tells the job pool and the sweep that work may be
// waiting: jobs queued, or a deleted app's data to purge.
func (s *Server) wakeBackground() {
	s.pool.Wake()
	select {
	case s.sweepWake <- struct{}{}:
	default:
	}
}

// registerJobs tells the pool how to run the service's jobs.
func registerJobs(pool *jobs.Pool, svc *service.Service) {
	pool.Register(service.JobProcessInput, jobs.Kind{
		Run: svc.ProcessInput, Fail: svc.FailInput, Permanent: service.PermanentInputError,
		Attempts: 3, Backoff: time.Second, Timeout: 2 * time.Minute,
	})
	pool.Register(service.JobEmbedInput, jobs.Kind{
		Run: svc.EmbedInput, Permanent: service.PermanentEmbedError,
		Attempts: 3, Backoff: time.Second, Timeout: 2 * time.Minute,
	})
}

// startSearch builds the vector index in the background and queues the
// embedding of every stored input that has none (the backfill); failures
// are logged, and searches are exact meanwhile.
func (s *Server) startSearch(ctx context.Context) {
	if err := s.index.Start(ctx); err != nil {
		s.log.Error("start the vector index; visual searches are exact", "err", err)
	}
	n, err := s.svc.QueueMissingEmbeddings(ctx)
	if err != nil {
		s.log.Error("queue the embeddings of stored inputs", "err", err)
	} else if n > 0 {
		s.log.Info("queued the embeddings of stored inputs without one", "inputs", n)
	}
}

// sweep runs the sweep until ctx ends.
func (s *Server) sweep(ctx context.Context) {
	s.svc.SweepEvery(ctx, sweepInterval, s.sweepWake, func(err error) { s.log.Error("sweep deleted data", "err", err) })
}

// recover cleans up after a crash of the embedded store's one server,
// before it serves: the jobs it was running go back to the queue at once
// (on PostgreSQL, their leases end), and the temporary files of unfinished
// writes and what service.RecoverBlobs removes go.
func (s *Server) recover(ctx context.Context) error {
	d, ok := s.blobs.(*blobdir.Dir)
	if !ok {
		return nil
	}
	if n, err := s.store.Jobs().ReleaseLeases(ctx, time.Now()); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("background jobs of the previous run queued again", "jobs", n)
	}
	if _, err := d.RemoveTemp(time.Now()); err != nil {
		return err
	}
	n, err := s.svc.RecoverBlobs(ctx)
	if n > 0 {
		s.log.Info("removed images that no input uses", "blobs", n)
	}
	return err
}

// SearchIndex returns the server's vector index, for tests and diagnostics:
// Stats says whether an app's index is ready.
func (s *Server) SearchIndex() *vector.Index { return s.index }

// replicaFeed applies this replica's embedding changes to its index and
// publishes them to the other replicas.
type replicaFeed struct {
	index *vector.Index
	n     *postgres.Notifier
}

func (f replicaFeed) Added(ctx context.Context, sp vector.Space, ids ...string) error {
	err := f.index.Added(ctx, sp, ids...)
	f.n.VectorsAdded(clavis.EmbeddingSpace{App: sp.App, Version: sp.Version}, ids...)
	return err
}

func (f replicaFeed) Deleted(sp vector.Space, ids ...string) {
	f.index.Deleted(sp, ids...)
	f.n.VectorsDeleted(clavis.EmbeddingSpace{App: sp.App, Version: sp.Version}, ids...)
}

// indexSink applies the other replicas' embedding changes to the index.
type indexSink struct{ index *vector.Index }

func (i indexSink) Added(ctx context.Context, sp clavis.EmbeddingSpace, ids ...string) error {
	return i.index.Added(ctx, vector.Space{App: sp.App, Version: sp.Version}, ids...)
}

func (i indexSink) Deleted(sp clavis.EmbeddingSpace, ids ...string) {
	i.index.Deleted(vector.Space{App: sp.App, Version: sp.Version}, ids...)
}

func (i indexSink) Resync(ctx context.Context) error { return i.index.Resync(ctx) }
