package sqlstore

import (
	"context"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// The references of blobs, in table blobs: their content is the blob
// store's. A reference lives while an input of its space uses it or while
// it is reserved, and counts its size once in the space's bytes.

// insertBlobRefs inserts reservations of blobs: space, sha, size,
// reserved until, created; those another writer inserted meanwhile are
// left alone, and the rows inserted come back.
var insertBlobRefs = insert{
	head:  `INSERT INTO blobs (space_id, sha256, size, reserved_until, created_at)`,
	tuple: `(?, ?, ?, ?, ?)`,
	tail:  `ON CONFLICT (space_id, sha256) DO NOTHING RETURNING size`,
}

// blobChunk bounds the blobs of one statement of ReserveBlobs.
const blobChunk = 512

func (s inputs) ReserveBlobs(ctx context.Context, app clavis.AppRef, refs []clavis.BlobRef, now, until time.Time) ([]clavis.BlobKey, error) {
	var keys []clavis.BlobKey
	err := s.v.inTx(ctx, func(v view) error {
		keys = keys[:0]
		space, err := v.space(ctx, app, true)
		if err != nil {
			return err
		}
		// The distinct blobs, in order: the statements below take each once.
		size := map[string]int64{}
		var shas []string
		for _, r := range refs {
			if _, ok := size[r.SHA256]; !ok {
				size[r.SHA256] = r.Size
				shas = append(shas, r.SHA256)
			}
			keys = append(keys, clavis.BlobKey{Space: space, SHA256: r.SHA256})
		}
		var added int64
		for len(shas) > 0 {
			chunk := shas[:min(len(shas), blobChunk)]
			shas = shas[len(chunk):]
			have, err := v.referenced(ctx, space, chunk)
			if err != nil {
				return err
			}
			if len(have) > 0 {
				haveIn, haveArgs := in("sha256", have)
				if _, err := v.exec(ctx, `UPDATE blobs SET reserved_until = ? WHERE space_id = ? AND `+haveIn+` AND reserved_until < ?`,
					append(append([]any{micros(until), space}, haveArgs...), micros(until))...); err != nil {
					return v.internal(err)
				}
			}
			known := map[string]bool{}
			for _, h := range have {
				known[h] = true
			}
			var rows [][]any
			for _, sha := range chunk {
				if !known[sha] {
					rows = append(rows, []any{space, sha, size[sha], micros(until), micros(now)})
				}
			}
			if _, err := v.insertRowsScan(ctx, insertBlobRefs, rows, func(row scanner) error {
				var n int64
				err := row.Scan(&n)
				added += n
				return err
			}); err != nil {
				return v.internal(err)
			}
		}
		if added > 0 {
			if _, err := v.exec(ctx, `UPDATE app_spaces SET bytes = bytes + ? WHERE id = ?`, added, space); err != nil {
				return v.internal(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

func (s inputs) UnreferencedBlobs(ctx context.Context, keys []clavis.BlobKey) ([]clavis.BlobKey, error) {
	var out []clavis.BlobKey
	for len(keys) > 0 {
		// One space per statement (a request's keys share one), and at
		// most blobChunk of them.
		n := 1
		for n < len(keys) && n < blobChunk && keys[n].Space == keys[0].Space {
			n++
		}
		chunk := keys[:n]
		keys = keys[n:]
		shas := make([]string, len(chunk))
		for i, k := range chunk {
			shas[i] = k.SHA256
		}
		have, err := s.v.referenced(ctx, chunk[0].Space, shas)
		if err != nil {
			return nil, err
		}
		referenced := map[string]bool{}
		for _, h := range have {
			referenced[h] = true
		}
		for _, k := range chunk {
			if !referenced[k.SHA256] {
				out = append(out, k)
			}
		}
	}
	return out, nil
}

// referenced returns the blobs among shas (at most blobChunk) that space
// references, in one statement.
func (v view) referenced(ctx context.Context, space string, shas []string) ([]string, error) {
	shaIn, args := in("sha256", shas)
	return list(ctx, v, scanString, `SELECT sha256 FROM blobs WHERE space_id = ? AND `+shaIn, append([]any{space}, args...)...)
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
