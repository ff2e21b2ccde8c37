package clavis

import (
	"context"
	"time"
)

// JobState is where a background job stands.
type JobState string

// Job states. A job that succeeds is deleted.
const (
	JobQueued  JobState = "queued"  // waiting for RunAfter and a worker
	JobRunning JobState = "running" // held by a worker until LeaseUntil
	JobFailed  JobState = "failed"  // failed for good; LastError says why
)

// Job is a unit of background work in the durable queue that every replica
// sharing the store draws from. Kinds are open-ended: each names a handler
// that workers register.
type Job struct {
	ID   string
	Kind string
	// App is the app the job works on, if any; nil for a job of an app
	// since deleted, whose job ends unrun.
	App *AppRef
	// InputID is the input the job works on, if any: deleting the input
	// deletes the job.
	InputID string
	// Payload is the kind's own data.
	Payload    string
	State      JobState
	Attempts   int // runs begun, the current one included
	RunAfter   time.Time
	LeaseOwner string    // the worker holding a running job
	LeaseUntil time.Time // when the lease of a running job ends
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// JobClaim asks for jobs to run.
type JobClaim struct {
	Owner string   // the claiming worker, unique among live workers
	Kinds []string // only jobs of these kinds
	Limit int
	// Now is the current time: queued jobs whose RunAfter has come, and
	// running jobs whose lease ended before Now (their worker died), are
	// claimable.
	Now time.Time
	// LeaseUntil is when the claimed jobs' lease ends unless renewed.
	LeaseUntil time.Time
}

// JobFilter selects jobs in ListJobs. Zero fields select everything.
type JobFilter struct {
	App     *AppRef
	Kind    string
	State   JobState
	InputID string
}

type backgroundKey struct{}

// Background marks ctx as background work's (jobs, sweeps, flushes) rather
// than a request's: a store that runs one write at a time lets the writes
// of requests, which a caller is waiting for, go first.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx was marked by Background.
func IsBackground(ctx context.Context) bool {
	b, _ := ctx.Value(backgroundKey{}).(bool)
	return b
}
