package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// How blobs are stored without ever losing one or leaving one behind:
//
//  1. a writer reserves the blob's reference (ReserveBlobs) before writing
//     its content, so that the reference exists whenever the content does;
//  2. it writes the content (putBlobs), durably, then commits the input that
//     uses the blob; a reservation it never uses ends after
//     blobReservation, and the sweep frees it;
//  3. whoever frees a reference (deleting inputs, purging a deleted app,
//     the sweep) deletes the content after the commit (dropBlob), unless a
//     reference is back by then.
//
// putBlobs and dropBlob check the reference and touch the content under one
// lock per key, so that a delete never removes content a writer has just
// stored for a new reference. The locks are this process's, which is enough
// for the blob directory of the embedded setup (one server per data dir);
// on PostgreSQL the content is a row that goes with its reference, so
// replicas need no lock of their own.

// blobReservation bounds how long a writer may take from reserving a blob
// to committing the input that uses it.
const blobReservation = 10 * time.Minute

// blobLocks is a set of striped mutexes keyed by blob key.
type blobLocks struct{ mu [64]sync.Mutex }

func (l *blobLocks) lock(k clavis.BlobKey) func() { return l.lockAll([]clavis.BlobKey{k}) }

// stripe returns the index of k's mutex.
func (l *blobLocks) stripe(k clavis.BlobKey) int {
	h := fnv.New32a()
	h.Write([]byte(k.Space))
	h.Write([]byte(k.SHA256))
	return int(h.Sum32() % uint32(len(l.mu)))
}

// lockAll locks the mutexes of keys, each once and in index order, so that
// two callers never wait for each other, and returns their unlock.
func (l *blobLocks) lockAll(keys []clavis.BlobKey) func() {
	var held [len(blobLocks{}.mu)]bool
	for _, k := range keys {
		held[l.stripe(k)] = true
	}
	for i, h := range held {
		if h {
			l.mu[i].Lock()
		}
	}
	return func() {
		for i, h := range held {
			if h {
				l.mu[i].Unlock()
			}
		}
	}
}

// contentDigest returns the hex SHA-256 of data, its content address.
func contentDigest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// putBlobs writes the contents of reserved blobs, under their locks.
func (s *Service) putBlobs(ctx context.Context, keys []clavis.BlobKey, data [][]byte) error {
	unlock := s.locks.lockAll(keys)
	defer unlock()
	gone, err := s.store.Inputs().UnreferencedBlobs(ctx, keys)
	if err != nil {
		return err
	}
	if len(gone) > 0 {
		// Its app was deleted (and purged) meanwhile.
		return clavis.Errorf(clavis.ENotFound, "the app was deleted while its input was being stored")
	}
	return s.blobs.PutBlobs(ctx, keys, data)
}

// dropBlob deletes the content of a blob whose reference was freed, unless
// it is referenced again.
func (s *Service) dropBlob(ctx context.Context, key clavis.BlobKey) error {
	unlock := s.locks.lock(key)
	defer unlock()
	gone, err := s.store.Inputs().UnreferencedBlobs(ctx, []clavis.BlobKey{key})
	if err != nil || len(gone) == 0 {
		return err
	}
	return s.blobs.DeleteBlob(ctx, key)
}

// dropBlobs deletes the content of freed blobs. A failure leaves content
// with no reference, which SweepBlobs removes; it is logged by the caller.
func (s *Service) dropBlobs(ctx context.Context, keys []clavis.BlobKey) error {
	var first error
	for _, k := range keys {
		if err := s.dropBlob(ctx, k); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// storeBlobs reserves and writes the content of blobs of app; it returns
// their keys, in order.
func (s *Service) storeBlobs(ctx context.Context, app clavis.AppRef, contents [][]byte) ([]clavis.BlobKey, error) {
	if len(contents) == 0 {
		return nil, nil
	}
	refs := make([]clavis.BlobRef, len(contents))
	for i, c := range contents {
		refs[i] = clavis.BlobRef{SHA256: contentDigest(c), Size: int64(len(c))}
	}
	now := s.clock()
	keys, err := s.store.Inputs().ReserveBlobs(ctx, app, refs, now, now.Add(blobReservation))
	if err != nil {
		return nil, err
	}
	// Each distinct blob once, in one call: the store shares the syncs.
	seen := map[clavis.BlobKey]bool{}
	var put []clavis.BlobKey
	var data [][]byte
	for i, k := range keys {
		if !seen[k] {
			seen[k] = true
			put, data = append(put, k), append(data, contents[i])
		}
	}
	if err := s.putBlobs(ctx, put, data); err != nil {
		return nil, err
	}
	return keys, nil
}
