package service

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// purgeBatch is how many rows one transaction of a purge deletes: small
// enough that a purge never holds the database long.
const purgeBatch = 500

// pace waits, after a batch of background work that took took, as long
// again (at least a few milliseconds), so that such work takes at most half
// of the database's time: on a store of one writer at a time, other calls
// get their turn between the batches instead of queueing behind all of
// them.
func pace(ctx context.Context, took time.Duration) error {
	t := time.NewTimer(max(took, 5*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Sweep removes what nothing references any more: the data of deleted apps
// (in batches of purgeBatch rows, their images after each batch), and the
// blob reservations of writers that died or gave up. It returns once
// nothing is left, or with the first error; it is safe to run on several
// replicas at once.
func (s *Service) Sweep(ctx context.Context) error {
	for {
		start := time.Now()
		p, err := s.store.Inputs().PurgeDeleted(ctx, purgeBatch)
		if err != nil {
			return err
		}
		if err := s.dropBlobs(ctx, p.Blobs); err != nil {
			return err
		}
		for _, sp := range p.Spaces {
			if err := s.blobs.DeleteSpace(ctx, sp); err != nil {
				return err
			}
		}
		if !p.More {
			break
		}
		if err := pace(ctx, time.Since(start)); err != nil {
			return err
		}
	}
	for {
		freed, err := s.store.Inputs().ReleaseExpiredBlobs(ctx, s.clock(), purgeBatch)
		if err != nil {
			return err
		}
		if err := s.dropBlobs(ctx, freed); err != nil {
			return err
		}
		if len(freed) < purgeBatch {
			return nil
		}
	}
}

// RecoverBlobs cleans up after a crash, on a store that only this process
// writes (the embedded one), before it serves: every blob reservation is a
// dead writer's, so each is freed, and content no reference names is
// deleted (SweepBlobs). It returns how many blobs' content it deleted.
func (s *Service) RecoverBlobs(ctx context.Context) (int, error) {
	n := 0
	for {
		freed, err := s.store.Inputs().ReleaseExpiredBlobs(ctx, s.clock().Add(blobReservation), purgeBatch)
		if err != nil {
			return n, err
		}
		if err := s.dropBlobs(ctx, freed); err != nil {
			return n, err
		}
		n += len(freed)
		if len(freed) < purgeBatch {
			break
		}
	}
	m, err := s.SweepBlobs(ctx)
	return n + m, err
}

// SweepBlobs deletes stored content that no reference names: what a crash
// left between freeing a reference and deleting its content. It reads every
// stored blob's key, so it runs at startup.
func (s *Service) SweepBlobs(ctx context.Context) (int, error) {
	n := 0
	err := s.blobs.WalkBlobs(ctx, func(k clavis.BlobKey) error {
		gone, err := s.store.Inputs().UnreferencedBlobs(ctx, []clavis.BlobKey{k})
		if err != nil || len(gone) == 0 {
			return err
		}
		if err := s.dropBlob(ctx, k); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// SweepEvery runs Sweep every interval, and whenever wake delivers, until
// ctx ends; errors are reported to fail, and the next round tries again.
func (s *Service) SweepEvery(ctx context.Context, interval time.Duration, wake <-chan struct{}, fail func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			fail(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}
