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
//  2. it writes the content (putBlob), durably, then commits the input that
//     uses the blob; a reservation it never uses ends after
//     blobReservation, and the sweep frees it;
//  3. whoever frees a reference (deleting inputs, purging a deleted app,
//     the sweep) deletes the content after the commit (dropBlob), unless a
//     reference is back by then.
//
// putBlob and dropBlob check the reference and touch the content under one
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

func (l *blobLocks) lock(k clavis.BlobKey) func() {
	h := fnv.New32a()
	h.Write([]byte(k.Space))
	h.Write([]byte(k.SHA256))
	m := &l.mu[h.Sum32()%uint32(len(l.mu))]
	m.Lock()
	return m.Unlock
}

// contentDigest returns the hex SHA-256 of data, its content address.
func contentDigest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// putBlob writes the content of a reserved blob.
func (s *Service) putBlob(ctx context.Context, key clavis.BlobKey, data []byte) error {
	unlock := s.locks.lock(key)
	defer unlock()
	ok, err := s.store.Inputs().BlobReferenced(ctx, key)
	if err != nil {
		return err
	}
	if !ok {
		// Its app was deleted (and purged) meanwhile.
		return clavis.Errorf(clavis.ENotFound, "the app was deleted while its input was being stored")
	}
	return s.blobs.PutBlob(ctx, key, data)
}

// dropBlob deletes the content of a blob whose reference was freed, unless
// it is referenced again.
func (s *Service) dropBlob(ctx context.Context, key clavis.BlobKey) error {
	unlock := s.locks.lock(key)
	defer unlock()
	ok, err := s.store.Inputs().BlobReferenced(ctx, key)
	if err != nil || ok {
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

// storeBlobs reserves and writes the content of blobs of app, in parallel;
// it returns their keys, in order.
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
	// Each write syncs a file: several at once hide the latency.
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.putBlob(ctx, keys[i], contents[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return keys, nil
}
