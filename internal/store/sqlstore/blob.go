package sqlstore

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// The references of blobs, in table blobs: their content is the blob
// store's. A reference lives while an input of its space uses it or while
// it is reserved, and counts its size once in the space's bytes.

func (s inputs) ReserveBlobs(ctx context.Context, app clavis.AppRef, refs []clavis.BlobRef, now, until time.Time) ([]clavis.BlobKey, error) {
	var keys []clavis.BlobKey
	err := s.v.inTx(ctx, func(v view) error {
		keys = keys[:0]
		space, err := v.space(ctx, app, true)
		if err != nil {
			return err
		}
		for _, r := range refs {
			res, err := v.exec(ctx, `UPDATE blobs SET reserved_until = ? WHERE space_id = ? AND sha256 = ? AND reserved_until < ?`,
				micros(until), space, r.SHA256, micros(until))
			if err != nil {
				return v.internal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				res, err = v.exec(ctx, `INSERT INTO blobs (space_id, sha256, size, reserved_until, created_at) VALUES (?, ?, ?, ?, ?)
					ON CONFLICT (space_id, sha256) DO NOTHING`, space, r.SHA256, r.Size, micros(until), micros(now))
				if err != nil {
					return v.internal(err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					if _, err := v.exec(ctx, `UPDATE app_spaces SET bytes = bytes + ? WHERE id = ?`, r.Size, space); err != nil {
						return v.internal(err)
					}
				}
			}
			keys = append(keys, clavis.BlobKey{Space: space, SHA256: r.SHA256})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

func (s inputs) BlobReferenced(ctx context.Context, key clavis.BlobKey) (bool, error) {
	n, err := get(ctx, s.v, scanInt, nil, `SELECT count(*) FROM blobs WHERE space_id = ? AND sha256 = ?`, key.Space, key.SHA256)
	return n > 0, err
}

// dropBlobRefs deletes the references among shas of space that no input uses
// and no writer has reserved after at, and returns their keys.
func (v view) dropBlobRefs(ctx context.Context, space string, shas []string, at time.Time) ([]clavis.BlobKey, error) {
	var freed []clavis.BlobKey
	for _, sha := range shas {
		size, err := get(ctx, v, scanInt, nil, `DELETE FROM blobs WHERE space_id = ? AND sha256 = ? AND reserved_until <= ?
			AND NOT EXISTS (SELECT 1 FROM inputs WHERE space_id = ? AND blob_sha256 = ?) RETURNING size`,
			space, sha, micros(at), space, sha)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			continue
		}
		if _, err := v.exec(ctx, `UPDATE app_spaces SET bytes = bytes - ? WHERE id = ?`, size, space); err != nil {
			return nil, v.internal(err)
		}
		freed = append(freed, clavis.BlobKey{Space: space, SHA256: sha})
	}
	return freed, nil
}

func (s inputs) ReleaseExpiredBlobs(ctx context.Context, now time.Time, limit int) ([]clavis.BlobKey, error) {
	var freed []clavis.BlobKey
	err := s.v.inTx(ctx, func(v view) error {
		freed = freed[:0]
		// A reservation that an input now uses has done its work.
		if _, err := v.exec(ctx, `UPDATE blobs SET reserved_until = 0 WHERE reserved_until > 0 AND reserved_until <= ?
			AND EXISTS (SELECT 1 FROM inputs i WHERE i.space_id = blobs.space_id AND i.blob_sha256 = blobs.sha256)`, micros(now)); err != nil {
			return v.internal(err)
		}
		keys, err := list(ctx, v, func(row scanner) (clavis.BlobKey, error) {
			var k clavis.BlobKey
			err := row.Scan(&k.Space, &k.SHA256)
			return k, err
		}, `SELECT space_id, sha256 FROM blobs WHERE reserved_until > 0 AND reserved_until <= ? ORDER BY reserved_until LIMIT ?`, micros(now), limit)
		if err != nil {
			return err
		}
		for _, k := range keys {
			f, err := v.dropBlobRefs(ctx, k.Space, []string{k.SHA256}, now)
			if err != nil {
				return err
			}
			freed = append(freed, f...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return freed, nil
}
