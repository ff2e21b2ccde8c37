package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// RateCounter returns a clavis.RateCounter over the database's
// rate_counters table, which every replica sharing the database shares:
// one UPSERT per request, whose RETURNING count is exact under concurrency
// (PostgreSQL locks the row between concurrent upserts). Windows past
// their ttl are deleted now and then.
func (d *DB) RateCounter() clavis.RateCounter { return &rateCounter{d: d} }

// rateSweepEvery is how often, at most, a counter deletes expired windows.
const rateSweepEvery = time.Minute

type rateCounter struct {
	d *DB

	mu    sync.Mutex
	swept time.Time
}

func (c *rateCounter) CountRequest(ctx context.Context, subject string, start time.Time, ttl time.Duration) (int64, error) {
	var n int64
	err := c.d.db.QueryRowContext(ctx, `INSERT INTO rate_counters (subject, window_start, n, expires_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (subject, window_start) DO UPDATE SET n = rate_counters.n + 1 RETURNING n`,
		subject, start.UnixMicro(), start.Add(ttl).UnixMicro()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count a request in postgres: %w", err)
	}
	c.mu.Lock()
	now := time.Now()
	sweep := now.Sub(c.swept) >= rateSweepEvery
	if sweep {
		c.swept = now
	}
	c.mu.Unlock()
	if sweep {
		// Best effort: a failed sweep leaves rows for the next one.
		_, _ = c.d.db.ExecContext(ctx, `DELETE FROM rate_counters WHERE expires_at < $1`, now.UnixMicro())
	}
	return n, nil
}
