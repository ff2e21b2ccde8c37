package vector

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/clavis-dev/clavis/clavis"
)

// Space names a set of comparable vectors: an app's vectors made by one
// model version. Vectors of different versions are never compared.
type Space struct {
	App     clavis.AppRef
	Version string // the id of the model version that made the vectors
}

func (s Space) String() string { return s.App.String() + "/" + s.Version }

// Entry is a stored vector and the id of the input it belongs to.
type Entry struct {
	ID     string
	Vector []float32
}

// Source is where vectors are stored: the store, in the server. Its methods
// must be safe for concurrent use.
type Source interface {
	// Spaces lists the spaces that hold vectors.
	Spaces(ctx context.Context) ([]Space, error)
	// Vectors returns up to limit entries of space whose ids sort after
	// after, in id order; fewer than limit means there are no more.
	Vectors(ctx context.Context, space Space, after string, limit int) ([]Entry, error)
	// Get returns the entries of space with the given ids, in any order;
	// ids it does not hold are left out.
	Get(ctx context.Context, space Space, ids []string) ([]Entry, error)
}

// Config configures an Index. Zero fields take the defaults.
type Config struct {
	// MemoryBudget bounds the bytes all spaces' indexes hold together, as
	// estimated from their vectors, links and ids (default 1 GiB). A space
	// whose index would pass it loses its index and is searched exactly,
	// from the Source, until Resync.
	MemoryBudget int64
	// PageSize is how many entries builds and exact searches read from
	// the Source at a time (default 1000).
	PageSize int
	// SearchEF is the least beam width of approximate searches (default
	// 128); a search for more hits widens it to their number.
	SearchEF int
}

// DefaultMemoryBudget is Config.MemoryBudget's default: room for about
// 140,000 vectors of general-image-embedding's 1792 values.
const DefaultMemoryBudget = 1 << 30

// Index answers nearest-vector searches for every space of a Source.
// Each space gets an approximate index in memory, built in the background
// and kept current by Added and Deleted, which the server calls for the
// changes of its own replica and for those the store reports from others;
// until a space's index is ready, and when it is over the memory budget,
// searches of the space are exact and read the Source. Methods are safe for
// concurrent use.
type Index struct {
	src Source
	cfg Config

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{} // the builder has work

	mu      sync.Mutex
	spaces  map[Space]*space
	pending []*space // spaces waiting for a build, in order
	used    int64    // bytes held by every graph
}

// New returns an index of src's spaces. It builds nothing until Start.
func New(src Source, cfg Config) *Index {
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = DefaultMemoryBudget
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	if cfg.SearchEF <= 0 {
		cfg.SearchEF = 128
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Index{src: src, cfg: cfg, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), spaces: map[Space]*space{}}
}

// Start lists the Source's spaces and queues a build of each, which one
// background goroutine runs, one space at a time, until Close. It returns
// the Source's error, if listing fails; searches are exact meanwhile.
// Start must be called once.
func (x *Index) Start(ctx context.Context) error {
	x.wg.Add(1)
	go x.builder()
	return x.Resync(ctx)
}

// Close stops the builder and waits for it; the index keeps answering
// searches, exactly for spaces whose build did not finish.
func (x *Index) Close() error {
	x.cancel()
	x.wg.Wait()
	return nil
}

// Resync rebuilds the index of every space of the Source, for when change
// events may have been lost (a replica's listener reconnected); spaces
// over the budget get another chance. Until a rebuilt index is ready the
// old one, if any, keeps serving.
func (x *Index) Resync(ctx context.Context) error {
	spaces, err := x.src.Spaces(ctx)
	if err != nil {
		return fmt.Errorf("vector: listing spaces: %w", err)
	}
	x.mu.Lock()
	for _, sp := range spaces {
		x.spaceLocked(sp)
	}
	all := make([]*space, 0, len(x.spaces))
	for _, s := range x.spaces {
		all = append(all, s)
	}
	x.mu.Unlock()
	for _, s := range all {
		s.mu.Lock()
		s.over = false
		s.mu.Unlock()
		x.queue(s)
	}
	return nil
}

// space returns sp's state, creating it (with a build queued) when new.
func (x *Index) space(sp Space) *space {
	x.mu.Lock()
	s, created := x.spaceLocked(sp)
	x.mu.Unlock()
	if created {
		x.queue(s)
	}
	return s
}

func (x *Index) spaceLocked(sp Space) (*space, bool) {
	if s, ok := x.spaces[sp]; ok {
		return s, false
	}
	s := &space{key: sp}
	x.spaces[sp] = s
	return s, true
}

// queue schedules a build of s unless one is pending or running, or the
// index is closed.
func (x *Index) queue(s *space) {
	s.mu.Lock()
	if s.next != nil || x.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.next = &build{deleted: map[string]bool{}, done: make(chan struct{})}
	s.mu.Unlock()
	x.mu.Lock()
	x.pending = append(x.pending, s)
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Wait returns when sp has no build pending or running, or with ctx's
// error.
func (x *Index) Wait(ctx context.Context, sp Space) error {
	x.mu.Lock()
	s := x.spaces[sp]
	x.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.RLock()
	b := s.next
	s.mu.RUnlock()
	if b == nil {
		return nil
	}
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Added tells the index that the entries of sp with the given ids were
// stored (new, or replacing earlier vectors of those ids); it reads them
// from the Source and adds them before it returns. Ids the Source no longer
// holds count as deleted. The error is the Source's, or names entries whose
// length differs from the space's.
func (x *Index) Added(ctx context.Context, sp Space, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	entries, err := x.src.Get(ctx, sp, ids)
	if err != nil {
		return fmt.Errorf("vector: reading %d added vectors of %s: %w", len(ids), sp, err)
	}
	s := x.space(sp)
	found := make(map[string]bool, len(entries))
	var errs []error
	s.mu.Lock()
	for _, e := range entries {
		found[e.ID] = true
		if err := x.insertLocked(s, e); err != nil {
			errs = append(errs, err)
		}
	}
	for _, id := range ids {
		if !found[id] {
			s.deleteLocked(id)
		}
	}
	// A space whose last build failed has no index to keep current:
	// build it again, now that the Source answers.
	retry := s.cur == nil && s.next == nil && !s.over
	s.mu.Unlock()
	if retry {
		x.queue(s)
	}
	return errors.Join(errs...)
}

// Deleted tells the index that the entries of sp with the given ids were
// deleted: searches stop returning them at once.
func (x *Index) Deleted(sp Space, ids ...string) {
	x.mu.Lock()
	s := x.spaces[sp]
	x.mu.Unlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	for _, id := range ids {
		s.deleteLocked(id)
	}
	// Deleted nodes still cost memory and slow searches down: once they
	// outnumber the live ones, rebuild.
	rebuild := s.cur != nil && s.next == nil && s.cur.Deleted() > s.cur.Len()
	s.mu.Unlock()
	if rebuild {
		x.queue(s)
	}
}

// Stats describes one space's index.
type Stats struct {
	// Ready reports whether approximate searches use the index.
	Ready bool
	// Building reports whether a build is pending or running.
	Building bool
	// OverBudget reports whether the space lost its index to the memory
	// budget: until Resync, its searches are exact.
	OverBudget bool
	// Vectors and Deleted count the index's live and marked vectors;
	// Bytes estimates its memory.
	Vectors, Deleted int
	Bytes            int64
	// Err is why the last build failed, if it did.
	Err error
}

// Stats returns sp's figures.
func (x *Index) Stats(sp Space) Stats {
	x.mu.Lock()
	s := x.spaces[sp]
	x.mu.Unlock()
	if s == nil {
		return Stats{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Ready: s.cur != nil, Building: s.next != nil, OverBudget: s.over, Err: s.err}
	if s.cur != nil {
		st.Vectors, st.Deleted, st.Bytes = s.cur.Len(), s.cur.Deleted(), s.cur.Bytes()
	}
	return st
}

// Used returns the bytes every space's index holds, as estimated.
func (x *Index) Used() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.used
}
