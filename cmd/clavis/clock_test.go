package main_test

import (
	"sync"
	"time"

	cmd "github.com/clavis-dev/clavis/cmd/clavis"
)

// fakeClock is a server clock that tests move forward, so that waiting for
// a key to expire takes no sleep. It starts at the real time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// withClock runs a server on c.
func withClock(c *fakeClock) func(*cmd.Config) { return func(cfg *cmd.Config) { cfg.Now = c.Now } }
