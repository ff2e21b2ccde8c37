package clavis

import (
	"context"
	"time"
)

// RateCounter counts requests per subject in fixed time windows, for rate
// limits that hold across every replica of a server: in Redis, in the
// shared PostgreSQL database, or in memory for a single server.
// Implementations are safe for concurrent use.
type RateCounter interface {
	// CountRequest adds one request of subject to the window that starts
	// at start and returns the window's count, this request included. The
	// count is exact: concurrent calls, on any replica, each get a
	// distinct count. ttl is how long the window's count must be kept at
	// least. An error means the counter could not be reached; callers
	// refuse the request (fail closed).
	CountRequest(ctx context.Context, subject string, start time.Time, ttl time.Duration) (int64, error)
}
