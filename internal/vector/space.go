package vector

import (
	"fmt"
	"sync"
)

// space is one space's state. mu guards cur, next (the pointer), over and
// err; a build's own mutex guards what it builds, so that searches of cur
// go on while the builder inserts. Lock order: space.mu, then build.mu,
// then Index.mu.
type space struct {
	key  Space
	mu   sync.RWMutex
	cur  *graph // the index searches use; nil before the first build and when over budget
	next *build // the build pending or running, if any
	over bool   // over the memory budget: searched from the Source until Resync
	err  error  // why the last build failed
}

// build is an index being built from the Source, kept current meanwhile.
type build struct {
	done chan struct{} // closed when the build ends

	mu      sync.Mutex
	g       *graph
	deleted map[string]bool // deleted since the build began: pages read before must not bring them back
	aborted bool            // over budget or stopped: the builder gives up
}

// insertLocked adds e to s's index and to its build; s.mu is held.
func (x *Index) insertLocked(s *space, e Entry) error {
	if s.over {
		return nil // searched from the Source, which holds e
	}
	var err error
	if s.cur != nil {
		err = x.insertGraph(s.cur, e)
	}
	if b := s.next; b != nil && err == nil {
		b.mu.Lock()
		delete(b.deleted, e.ID)
		if !b.aborted {
			if b.g == nil {
				b.g = newGraph(len(e.Vector))
			}
			err = x.insertGraph(b.g, e)
		}
		b.mu.Unlock()
	}
	if err == errOverBudget {
		x.dropLocked(s)
		return nil
	}
	return err
}

// errOverBudget says that an insert would pass the memory budget.
var errOverBudget = fmt.Errorf("vector: over the memory budget")

// insertGraph inserts e into g, charging the memory budget, and returns
// errOverBudget (inserting nothing) when that would pass it.
func (x *Index) insertGraph(g *graph, e Entry) error {
	if g.dim == 0 {
		g.dim = len(e.Vector)
	}
	if len(e.Vector) != g.dim || g.dim == 0 {
		return fmt.Errorf("vector: entry %q has %d values; the space's vectors have %d", e.ID, len(e.Vector), g.dim)
	}
	cost := nodeBytes(g.dim, levelOf(e.ID), e.ID)
	x.mu.Lock()
	ok := x.used+cost <= x.cfg.MemoryBudget
	if ok {
		x.used += cost
	}
	x.mu.Unlock()
	if !ok {
		return errOverBudget
	}
	g.insert(e.ID, e.Vector) // which adds cost to g.Bytes()
	return nil
}

// refund gives n bytes back to the budget.
func (x *Index) refund(n int64) {
	x.mu.Lock()
	x.used -= n
	x.mu.Unlock()
}

// dropLocked puts s over the budget: its index and build are freed, and
// its searches read the Source until Resync. s.mu is held.
func (x *Index) dropLocked(s *space) {
	s.over = true
	if s.cur != nil {
		x.refund(s.cur.Bytes())
		s.cur = nil
	}
	if b := s.next; b != nil {
		b.mu.Lock()
		b.aborted = true
		if b.g != nil {
			x.refund(b.g.Bytes())
			b.g = nil
		}
		b.mu.Unlock()
	}
}

// deleteLocked removes id from s's index and build; s.mu is held.
func (s *space) deleteLocked(id string) {
	if s.cur != nil {
		s.cur.delete(id)
	}
	if b := s.next; b != nil {
		b.mu.Lock()
		b.deleted[id] = true
		if b.g != nil {
			b.g.delete(id)
		}
		b.mu.Unlock()
	}
}

// builder runs the queued builds, one at a time, until Close.
func (x *Index) builder() {
	defer x.wg.Done()
	for {
		x.mu.Lock()
		var s *space
		if len(x.pending) > 0 {
			s, x.pending = x.pending[0], x.pending[1:]
		}
		x.mu.Unlock()
		if s != nil {
			x.build(s)
			continue
		}
		select {
		case <-x.wake:
		case <-x.ctx.Done():
			x.mu.Lock()
			pending := x.pending
			x.pending = nil
			x.mu.Unlock()
			for _, s := range pending {
				x.finish(s, x.ctx.Err())
			}
			return
		}
	}
}

// buildBatch is how many entries the builder inserts per hold of a build's
// lock: about the time of a few dozen milliseconds, which is as long as an
// Added of the space may wait.
const buildBatch = 16

// build reads s's entries from the Source, page by page in id order, into
// its pending build, and makes the result s's index.
func (x *Index) build(s *space) {
	s.mu.RLock()
	b := s.next
	s.mu.RUnlock()
	after := ""
	for {
		if err := x.ctx.Err(); err != nil {
			x.finish(s, err)
			return
		}
		page, err := x.src.Vectors(x.ctx, s.key, after, x.cfg.PageSize)
		if err != nil {
			x.finish(s, fmt.Errorf("vector: building the index of %s: %w", s.key, err))
			return
		}
		for i := 0; i < len(page); i += buildBatch {
			if over, err := x.insertBatch(b, page[i:min(i+buildBatch, len(page))]); over || err != nil {
				if over {
					s.mu.Lock()
					x.dropLocked(s)
					s.mu.Unlock()
				}
				x.finish(s, err)
				return
			}
		}
		if len(page) < x.cfg.PageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	x.finish(s, nil)
}

// insertBatch inserts entries into b, but those deleted since the build
// began and those already added by Added (which read them later). It
// reports whether the budget stopped it, or an entry of the wrong length.
func (x *Index) insertBatch(b *build, entries []Entry) (over bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.aborted {
		return false, nil
	}
	for _, e := range entries {
		if b.deleted[e.ID] || b.g != nil && b.g.has(e.ID) {
			continue
		}
		if b.g == nil {
			b.g = newGraph(len(e.Vector))
		}
		if err := x.insertGraph(b.g, e); err == errOverBudget {
			return true, nil
		} else if err != nil {
			return false, err
		}
	}
	return false, nil
}

// finish ends s's build: on success (err nil, not aborted) its graph
// becomes s's index, replacing the old one.
func (x *Index) finish(s *space, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.next
	if b == nil {
		return
	}
	b.mu.Lock()
	if err == nil && !b.aborted {
		if s.cur != nil {
			x.refund(s.cur.Bytes())
		}
		s.cur = b.g
		if s.cur == nil {
			s.cur = newGraph(0) // an empty space: its first vector sets the length
		}
	} else if b.g != nil {
		x.refund(b.g.Bytes())
	}
	if err != nil {
		s.err = err
	} else if !b.aborted {
		s.err = nil
	}
	b.aborted = true
	b.g = nil
	b.mu.Unlock()
	s.next = nil
	close(b.done)
}
