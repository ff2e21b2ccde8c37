package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Kind says how the pool runs the jobs of one kind.
type Kind struct {
	// Run does a job. An error makes it run again after a backoff, unless
	// Permanent says it is final or the job has used its attempts.
	Run func(ctx context.Context, j *clavis.Job) error
	// Permanent reports whether an error of Run is final; nil means every
	// error may pass on another attempt.
	Permanent func(err error) bool
	// Fail, when set, is called once for a job that failed for good, with
	// the last error, before the job is marked failed.
	Fail func(ctx context.Context, j *clavis.Job, err error) error
	// Attempts bounds how often a job runs (default 3).
	Attempts int
	// Backoff is the pause before the first retry; it doubles with each
	// retry, up to a minute (default 1s).
	Backoff time.Duration
	// Timeout bounds one run (default 5 minutes).
	Timeout time.Duration
}

// Config configures a Pool. Zero fields take the defaults.
type Config struct {
	// Store is the job queue; outside a transaction.
	Store clavis.JobStore
	// Workers bounds how many jobs run at once (default 4).
	Workers int
	// Lease is how long a claimed job is the pool's without renewal; the
	// pool renews its leases every third of it (default 30s). A job whose
	// worker dies runs again once its lease ends.
	Lease time.Duration
	// Poll is how often an idle pool looks for due jobs that nobody woke
	// it for: jobs of other replicas, retries (default 1s).
	Poll time.Duration
	Log  *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Pool runs jobs of the kinds registered with it. Replicas sharing a store
// each run their pool; the store's leases keep them from running a job
// twice at once.
type Pool struct {
	cfg   Config
	owner string
	kinds map[string]Kind
	names []string

	wake chan struct{}
	slot chan struct{} // one token per running job

	stop    chan struct{} // closed by Stop: claim no more
	runCtx  context.Context
	cancel  context.CancelFunc // cancels running jobs, when the grace period ends
	wg      sync.WaitGroup     // running jobs
	done    chan struct{}      // closed when the dispatcher and renewer exit
	started bool
	stopped sync.Once
}

// background is the root of every context of the pool: its writes are
// background work's, which the store lets requests' writes go before.
func background() context.Context { return clavis.Background(context.Background()) }

// New returns a pool with no kinds.
func New(cfg Config) *Pool {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	host, _ := os.Hostname()
	var b [6]byte
	rand.Read(b[:])
	ctx, cancel := context.WithCancel(background())
	return &Pool{
		cfg: cfg, owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:])), kinds: map[string]Kind{},
		wake: make(chan struct{}, 1), slot: make(chan struct{}, cfg.Workers), stop: make(chan struct{}),
		runCtx: ctx, cancel: cancel, done: make(chan struct{}),
	}
}

// Owner returns the name under which the pool leases jobs.
func (p *Pool) Owner() string { return p.owner }

// Register sets how jobs of kind run. It must be called before Start.
func (p *Pool) Register(kind string, k Kind) {
	if k.Attempts <= 0 {
		k.Attempts = 3
	}
	if k.Backoff <= 0 {
		k.Backoff = time.Second
	}
	if k.Timeout <= 0 {
		k.Timeout = 5 * time.Minute
	}
	p.kinds[kind] = k
	p.names = append(p.names, kind)
	sort.Strings(p.names)
}

// Start starts claiming and running jobs in the background.
func (p *Pool) Start() {
	p.started = true
	var bg sync.WaitGroup
	bg.Go(p.dispatch)
	bg.Go(p.renew)
	go func() { bg.Wait(); close(p.done) }()
}

// Wake tells the pool that a job may be due, so that it looks at once
// instead of at its next poll. It never blocks.
func (p *Pool) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Stop stops claiming jobs and waits for the running ones to finish until
// ctx ends; then it cancels them and hands them back to the queue, to run
// again at once, here or on another replica. A job is never lost: one that
// does not even return when cancelled keeps its lease, which ends. Calls
// after the first return at once.
func (p *Pool) Stop(ctx context.Context) error {
	if !p.started {
		return nil
	}
	first := false
	p.stopped.Do(func() { first = true })
	if !first {
		return nil
	}
	close(p.stop)
	finished := make(chan struct{})
	go func() { p.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		p.cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			p.cfg.Log.Warn("background jobs did not return when cancelled; their leases will end", "owner", p.owner)
		}
	}
	p.cancel()
	<-p.done
	return nil
}

// dispatch claims jobs while workers are free, until Stop.
func (p *Pool) dispatch() {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		free := p.cfg.Workers - len(p.slot)
		claimed := 0
		if free > 0 && len(p.names) > 0 {
			claimed = p.claim(free)
		}
		if claimed == free && free > 0 {
			continue // more may be due
		}
		timer.Reset(p.cfg.Poll)
		select {
		case <-p.stop:
			return
		case <-p.wake:
		case <-timer.C:
		}
	}
}

// claim claims up to n jobs and starts them; it returns how many.
func (p *Pool) claim(n int) int {
	now := p.cfg.Now()
	ctx, cancel := context.WithTimeout(background(), 10*time.Second)
	defer cancel()
	js, err := p.cfg.Store.ClaimJobs(ctx, clavis.JobClaim{Owner: p.owner, Kinds: p.names, Limit: n, Now: now, LeaseUntil: now.Add(p.cfg.Lease)})
	if err != nil {
		p.cfg.Log.Error("claim background jobs", "err", err)
		return 0
	}
	for _, j := range js {
		p.slot <- struct{}{}
		p.wg.Add(1)
		go func() {
			defer func() { <-p.slot; p.wg.Done(); p.Wake() }()
			p.run(j)
		}()
	}
	return len(js)
}

// renew renews the leases of the running jobs until Stop has waited for
// them.
func (p *Pool) renew() {
	t := time.NewTicker(p.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-p.runCtx.Done():
			return
		case <-t.C:
		}
		if len(p.slot) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(background(), p.cfg.Lease/3)
		if err := p.cfg.Store.RenewJobLeases(ctx, p.owner, p.cfg.Now().Add(p.cfg.Lease)); err != nil {
			p.cfg.Log.Error("renew background job leases", "err", err)
		}
		cancel()
	}
}

// run runs one job and records its outcome.
func (p *Pool) run(j *clavis.Job) {
	k := p.kinds[j.Kind]
	ctx, cancel := context.WithTimeout(p.runCtx, k.Timeout)
	err := safeRun(ctx, k, j)
	cancel()
	// The outcome is recorded even while shutting down.
	rec, done := context.WithTimeout(background(), 10*time.Second)
	defer done()
	now := p.cfg.Now()
	log := p.cfg.Log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts)
	var serr error
	switch {
	case err == nil:
		serr = p.cfg.Store.CompleteJob(rec, j.ID, p.owner)
	case p.runCtx.Err() != nil:
		serr = p.cfg.Store.ReleaseJob(rec, j.ID, p.owner, now)
		log.Info("background job handed back at shutdown")
	case j.Attempts >= k.Attempts || k.Permanent != nil && k.Permanent(err):
		log.Warn("background job failed", "err", err)
		if k.Fail != nil {
			if ferr := k.Fail(rec, j, err); ferr != nil {
				log.Error("record a failed background job", "err", ferr)
			}
		}
		serr = p.cfg.Store.FailJob(rec, j.ID, p.owner, err.Error(), now)
	default:
		log.Info("background job will retry", "err", err)
		serr = p.cfg.Store.RetryJob(rec, j.ID, p.owner, err.Error(), now, now.Add(backoff(k.Backoff, j.Attempts)))
	}
	if serr != nil && clavis.ErrorCode(serr) != clavis.ENotFound {
		log.Error("record a background job's outcome", "err", serr)
	}
}

// safeRun runs a job, turning a panic into an error.
func safeRun(ctx context.Context, k Kind, j *clavis.Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = clavis.Internal(fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	return k.Run(ctx, j)
}

// backoff returns the pause after the attempt-th run: base, doubling, at
// most a minute.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}
