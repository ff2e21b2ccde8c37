package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/jobs"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

var ctx = context.Background()

// engines runs a test on a new SQLite store and a new PostgreSQL database.
func engines(t *testing.T, test func(t *testing.T, s clavis.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db)
	})
	t.Run("Postgres", func(t *testing.T) { test(t, openPG(t, pgtest.NewDatabase(t))) })
}

func openPG(t *testing.T, dsn string) *postgres.DB {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func enqueue(t *testing.T, s clavis.Store, kind string, n int) []string {
	t.Helper()
	var js []*clavis.Job
	now := time.Now()
	for i := range n {
		js = append(js, &clavis.Job{Kind: kind, Payload: fmt.Sprint(i), RunAfter: now, CreatedAt: now, UpdatedAt: now})
	}
	if err := s.Jobs().EnqueueJobs(ctx, js); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, j := range js {
		ids[i] = j.ID
	}
	return ids
}

func stop(t *testing.T, p *jobs.Pool, grace time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if err := p.Stop(c); err != nil {
		t.Fatal(err)
	}
}

// wait waits for a signal, failing after a generous bound.
func wait(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		var runs atomic.Int32
		done := make(chan struct{})
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 5 * time.Millisecond})
		p.Register("flaky", jobs.Kind{Attempts: 3, Backoff: time.Millisecond, Run: func(ctx context.Context, j *clavis.Job) error {
			if runs.Add(1) < 3 {
				return errors.New("not yet")
			}
			close(done)
			return nil
		}})
		id := enqueue(t, s, "flaky", 1)[0]
		p.Start()
		wait(t, done, "the third run")
		stop(t, p, 10*time.Second)
		if _, err := s.Jobs().GetJob(ctx, id); clavis.ErrorCode(err) != clavis.ENotFound {
			t.Fatalf("a job that succeeded remains: %v", err)
		}
		if runs.Load() != 3 {
			t.Fatalf("%d runs, want 3", runs.Load())
		}
	})
}

func TestFailsForGood(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		permanent := errors.New("bad input")
		var runs atomic.Int32
		failed := make(chan string, 2)
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 5 * time.Millisecond})
		kind := jobs.Kind{Attempts: 2, Backoff: time.Millisecond,
			Permanent: func(err error) bool { return errors.Is(err, permanent) },
			Fail: func(ctx context.Context, j *clavis.Job, err error) error {
				failed <- j.Kind + ": " + err.Error()
				return nil
			},
		}
		kind.Run = func(ctx context.Context, j *clavis.Job) error { runs.Add(1); return errors.New("transient") }
		p.Register("tries", kind)
		kind.Run = func(ctx context.Context, j *clavis.Job) error { runs.Add(1); return permanent }
		p.Register("final", kind)
		tries, final := enqueue(t, s, "tries", 1)[0], enqueue(t, s, "final", 1)[0]
		p.Start()
		got := map[string]bool{}
		for range 2 {
			select {
			case f := <-failed:
				got[f] = true
			case <-time.After(30 * time.Second):
				t.Fatal("timed out waiting for failures")
			}
		}
		stop(t, p, 10*time.Second)
		if !got["tries: transient"] || !got["final: bad input"] {
			t.Fatalf("Fail calls %v", got)
		}
		// Two runs of the job with two attempts, one of the permanent one.
		if runs.Load() != 3 {
			t.Fatalf("%d runs, want 3", runs.Load())
		}
		for id, want := range map[string]string{tries: "transient", final: "bad input"} {
			j, err := s.Jobs().GetJob(ctx, id)
			if err != nil || j.State != clavis.JobFailed || j.LastError != want {
				t.Fatalf("job %s = %+v %v, want failed with %q", id, j, err, want)
			}
		}
	})
}

// TestBoundedConcurrency runs more blocking jobs than workers: at most
// Workers run at once, and all run.
func TestBoundedConcurrency(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		const workers, n = 2, 6
		var running, peak, finished atomic.Int32
		started := make(chan struct{}, n)
		release := make(chan struct{})
		p := jobs.New(jobs.Config{Store: s.Jobs(), Workers: workers, Poll: 5 * time.Millisecond})
		p.Register("block", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error {
			r := running.Add(1)
			for {
				old := peak.Load()
				if r <= old || peak.CompareAndSwap(old, r) {
					break
				}
			}
			started <- struct{}{}
			<-release
			running.Add(-1)
			finished.Add(1)
			return nil
		}})
		enqueue(t, s, "block", n)
		p.Start()
		for range workers {
			<-started
		}
		close(release)
		for range n - workers {
			<-started
		}
		stop(t, p, 30*time.Second)
		if peak.Load() != workers || finished.Load() != n {
			t.Fatalf("peak %d running (want %d), %d finished (want %d)", peak.Load(), workers, finished.Load(), n)
		}
	})
}

// TestShutdownHandsBack stops a pool whose job outlives the grace period:
// the job is cancelled and handed back, queued with its attempt not
// counted, and another pool runs it.
func TestShutdownHandsBack(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		started := make(chan struct{})
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 5 * time.Millisecond})
		p.Register("slow", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}})
		id := enqueue(t, s, "slow", 1)[0]
		p.Start()
		wait(t, started, "the job to start")
		stop(t, p, 50*time.Millisecond)
		j, err := s.Jobs().GetJob(ctx, id)
		if err != nil || j.State != clavis.JobQueued || j.Attempts != 0 || j.LeaseOwner != "" {
			t.Fatalf("after shutdown: %+v %v, want queued, 0 attempts, no lease", j, err)
		}
		done := make(chan struct{})
		q := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 5 * time.Millisecond})
		q.Register("slow", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error { close(done); return nil }})
		q.Start()
		wait(t, done, "the handed-back job")
		stop(t, q, 10*time.Second)
	})
}

// TestShutdownWaits stops a pool while its job runs: the job finishes
// within the grace period and completes.
func TestShutdownWaits(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		started, release := make(chan struct{}), make(chan struct{})
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 5 * time.Millisecond})
		p.Register("job", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error {
			close(started)
			<-release
			return nil
		}})
		id := enqueue(t, s, "job", 1)[0]
		p.Start()
		wait(t, started, "the job to start")
		stopped := make(chan struct{})
		go func() { stop(t, p, 30*time.Second); close(stopped) }()
		close(release)
		wait(t, stopped, "Stop")
		if _, err := s.Jobs().GetJob(ctx, id); clavis.ErrorCode(err) != clavis.ENotFound {
			t.Fatalf("the job finished within the grace period but remains: %v", err)
		}
	})
}

// TestDeadWorkersJobRunsAgain has a worker claim a job and die (it never
// renews nor reports): once the lease ends, a pool runs it.
func TestDeadWorkersJobRunsAgain(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		id := enqueue(t, s, "job", 1)[0]
		now := time.Now()
		got, err := s.Jobs().ClaimJobs(ctx, clavis.JobClaim{Owner: "dead", Kinds: []string{"job"}, Limit: 1, Now: now, LeaseUntil: now.Add(200 * time.Millisecond)})
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v %v", got, err)
		}
		done := make(chan int, 1)
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: 20 * time.Millisecond})
		p.Register("job", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error { done <- j.Attempts; return nil }})
		p.Start()
		select {
		case n := <-done:
			if n != 2 {
				t.Fatalf("attempt %d, want 2", n)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the dead worker's job never ran again")
		}
		stop(t, p, 10*time.Second)
		if _, err := s.Jobs().GetJob(ctx, id); clavis.ErrorCode(err) != clavis.ENotFound {
			t.Fatalf("job remains: %v", err)
		}
	})
}

// TestWake runs a job enqueued while the pool sleeps a long poll, as soon
// as it is woken.
func TestWake(t *testing.T) {
	engines(t, func(t *testing.T, s clavis.Store) {
		done := make(chan struct{})
		p := jobs.New(jobs.Config{Store: s.Jobs(), Poll: time.Hour})
		p.Register("job", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error { close(done); return nil }})
		p.Start()
		enqueue(t, s, "job", 1)
		p.Wake()
		wait(t, done, "the woken job")
		stop(t, p, 10*time.Second)
	})
}

// TestReplicasShareTheQueue runs two pools on one PostgreSQL database, each
// through its own connection pool as replicas do: every job runs exactly
// once.
func TestReplicasShareTheQueue(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	a, b := openPG(t, dsn), openPG(t, dsn)
	const n = 200
	ids := enqueue(t, a, "job", n)
	var mu sync.Mutex
	runs := map[string][]string{}
	all := make(chan struct{})
	var count atomic.Int32
	var pools []*jobs.Pool
	for i, db := range []clavis.Store{a, b} {
		p := jobs.New(jobs.Config{Store: db.Jobs(), Workers: 4, Poll: 5 * time.Millisecond})
		name := fmt.Sprintf("replica%d", i)
		p.Register("job", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error {
			mu.Lock()
			runs[j.ID] = append(runs[j.ID], name)
			mu.Unlock()
			if count.Add(1) == n {
				close(all)
			}
			return nil
		}})
		pools = append(pools, p)
	}
	for _, p := range pools {
		p.Start()
	}
	wait(t, all, "every job")
	for _, p := range pools {
		stop(t, p, 10*time.Second)
	}
	per := map[string]int{}
	for _, id := range ids {
		if len(runs[id]) != 1 {
			t.Errorf("job %s ran %d times: %v", id, len(runs[id]), runs[id])
		}
		for _, r := range runs[id] {
			per[r]++
		}
	}
	if len(runs) != n {
		t.Fatalf("%d jobs ran, want %d", len(runs), n)
	}
	t.Logf("jobs per replica: %v", per)
}

// markedStore records whether the pool's claims and outcomes are marked as
// background work (clavis.Background), which SQLite lets requests pass.
type markedStore struct {
	clavis.JobStore
	claims, completes, unmarked atomic.Int32
}

func (m *markedStore) ClaimJobs(ctx context.Context, c clavis.JobClaim) ([]*clavis.Job, error) {
	m.claims.Add(1)
	if !clavis.IsBackground(ctx) {
		m.unmarked.Add(1)
	}
	return m.JobStore.ClaimJobs(ctx, c)
}

func (m *markedStore) CompleteJob(ctx context.Context, id, owner string) error {
	m.completes.Add(1)
	if !clavis.IsBackground(ctx) {
		m.unmarked.Add(1)
	}
	return m.JobStore.CompleteJob(ctx, id, owner)
}

func TestJobsAreBackground(t *testing.T) {
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "clavis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &markedStore{JobStore: db.Jobs()}
	p := jobs.New(jobs.Config{Store: m, Poll: 5 * time.Millisecond})
	var marked atomic.Bool
	done := make(chan struct{})
	p.Register("k", jobs.Kind{Run: func(ctx context.Context, j *clavis.Job) error {
		marked.Store(clavis.IsBackground(ctx))
		close(done)
		return nil
	}})
	enqueue(t, db, "k", 1)
	p.Start()
	wait(t, done, "the job")
	stop(t, p, 10*time.Second)
	if !marked.Load() {
		t.Error("a job ran with a context not marked as background work")
	}
	if m.claims.Load() == 0 || m.completes.Load() != 1 || m.unmarked.Load() != 0 {
		t.Errorf("%d claims and %d completions, %d of them not marked as background work", m.claims.Load(), m.completes.Load(), m.unmarked.Load())
	}
}
