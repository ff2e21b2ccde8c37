// Package jobs runs the background jobs of the store's durable queue: a
// bounded pool of workers that claim jobs under leases, retry failures with
// backoff and hand running jobs back on shutdown.
package jobs
