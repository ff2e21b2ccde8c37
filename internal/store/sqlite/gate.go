package sqlite

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// gate admits one write transaction of this process at a time. SQLite would
// serialize them anyway, but a writer waiting in busy_timeout polls with
// sleeps that grow to 100 ms; waiting here, it starts the moment the lock is
// free. The writes of requests (a caller waits for each) go before those of
// background work (clavis.Background): jobs queue up in bursts, one per
// input of a batch, and a request behind them would wait for all of them.
// When both wait, background work still gets one turn in every
// foregroundRun+1, so it is never starved.
type gate struct {
	mu     sync.Mutex
	busy   bool
	fg, bg []chan struct{} // waiters, first come first served
	run    int             // foreground turns in a row while background waited
}

// foregroundRun bounds the foreground turns in a row while background
// work waits.
const foregroundRun = 4

// enter waits up to wait for the gate; background says which queue.
func (g *gate) enter(ctx context.Context, background bool, wait time.Duration) error {
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	if background {
		g.bg = append(g.bg, turn)
	} else {
		g.fg = append(g.fg, turn)
	}
	g.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	var err error
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("no write transaction could start within %v", wait)
	}
	g.mu.Lock()
	if g.drop(turn) {
		g.mu.Unlock()
		return clavis.Internal(fmt.Errorf("begin: %w", err))
	}
	// The turn came meanwhile: pass it on.
	g.mu.Unlock()
	g.leave()
	return clavis.Internal(fmt.Errorf("begin: %w", err))
}

// drop removes turn from its queue; false if it was not there, that is if
// it was given the gate.
func (g *gate) drop(turn chan struct{}) bool {
	for _, q := range []*[]chan struct{}{&g.fg, &g.bg} {
		for i, c := range *q {
			if c == turn {
				*q = append((*q)[:i], (*q)[i+1:]...)
				return true
			}
		}
	}
	return false
}

// leave hands the gate to the next waiter, or frees it.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var next chan struct{}
	switch {
	case len(g.fg) > 0 && (len(g.bg) == 0 || g.run < foregroundRun):
		next, g.fg = g.fg[0], g.fg[1:]
		if len(g.bg) > 0 {
			g.run++
		}
	case len(g.bg) > 0:
		next, g.bg = g.bg[0], g.bg[1:]
		g.run = 0
	default:
		g.busy = false
		return
	}
	close(next)
}
