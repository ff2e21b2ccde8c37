package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's own checkpoints run in the commit that takes the WAL past 1000
// pages: the write that happens to cross it copies the WAL into the
// database file and syncs it before its caller hears back. Clavis turns
// them off (wal_autocheckpoint(0)) and runs them here instead, in the
// background: PASSIVE checkpoints, which neither take the write lock nor
// wait for readers, soon after writes and at most every checkpointEvery, so
// that the WAL holds about that much time's writes.

// checkpointEvery bounds how often the WAL is checkpointed while writes go
// on.
const checkpointEvery = 100 * time.Millisecond

// checkpointer runs the checkpoints of one database.
type checkpointer struct {
	db   *sql.DB
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wrote says that a write transaction committed.
func (c *checkpointer) wrote() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		// A failed checkpoint loses nothing: the WAL keeps every frame
		// until one succeeds, and readers read them from there.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// close stops the checkpoints; closing the database checkpoints what is
// left. It may be called more than once.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
