package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// TouchInterval is the least time between two writes of one key's
// last-used time.
const TouchInterval = time.Minute

// Toucher records when keys were last used, off the request path: Touch only
// notes the time in memory, and Run writes pending times to the store in
// batches, at most once per TouchInterval per key.
type Toucher struct {
	keys clavis.KeyStore
	log  *slog.Logger

	mu      sync.Mutex
	pending map[string]clavis.KeyUse
	written map[string]time.Time
}

// NewToucher returns a Toucher writing to keys.
func NewToucher(keys clavis.KeyStore, log *slog.Logger) *Toucher {
	return &Toucher{keys: keys, log: log, pending: map[string]clavis.KeyUse{}, written: map[string]time.Time{}}
}

// Touch notes that key id was used at t from the client address addr.
func (t *Toucher) Touch(id string, at time.Time, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.written[id]; ok && at.Sub(w) < TouchInterval {
		return
	}
	t.written[id] = at
	t.pending[id] = clavis.KeyUse{At: at, Addr: addr}
}

// Flush writes the pending times now.
func (t *Toucher) Flush(ctx context.Context) error {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[string]clavis.KeyUse{}
	// Forget keys not written for a while, so the map does not grow forever.
	for id, w := range t.written {
		if time.Since(w) > 2*TouchInterval {
			delete(t.written, id)
		}
	}
	t.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return t.keys.TouchKeys(ctx, batch)
}

// Run flushes every interval until ctx is done, then flushes once more.
func (t *Toucher) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := t.Flush(context.WithoutCancel(ctx)); err != nil {
				t.log.Error("record key use", "err", err)
			}
			return
		case <-tick.C:
			if err := t.Flush(ctx); err != nil {
				t.log.Error("record key use", "err", err)
			}
		}
	}
}
