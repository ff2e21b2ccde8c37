package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

// Blobs returns the blob store of d: content in table blob_data, next to
// the references it belongs to, so that every replica serves it and none
// outlives its reference (see migrations/0007_blob_data.sql).
func (d *DB) Blobs() clavis.BlobStore { return blobs{d.db} }

type blobs struct{ db *sql.DB }

// PutBlob stores the content of a referenced blob; it returns ENotFound for
// a key with no reference.
func (b blobs) PutBlob(ctx context.Context, key clavis.BlobKey, data []byte) error {
	return b.PutBlobs(ctx, []clavis.BlobKey{key}, [][]byte{data})
}

// PutBlobs stores the contents of referenced blobs in one transaction: all
// or none, one commit. It returns ENotFound when a key has no reference.
func (b blobs) PutBlobs(ctx context.Context, keys []clavis.BlobKey, data [][]byte) error {
	if len(keys) != len(data) {
		return clavis.Internal(fmt.Errorf("%d blob keys for %d contents", len(keys), len(data)))
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return clavis.Internal(err)
	}
	defer tx.Rollback()
	for i, key := range keys {
		_, err := tx.ExecContext(ctx, `INSERT INTO blob_data (space_id, sha256, data) VALUES ($1, $2, $3)
			ON CONFLICT (space_id, sha256) DO NOTHING`, key.Space, key.SHA256, data[i])
		if classify(err) == sqlstore.ErrForeignKey {
			return clavis.Errorf(clavis.ENotFound, "blob %s is not referenced", key.SHA256)
		}
		if err != nil {
			return clavis.Internal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return clavis.Internal(err)
	}
	return nil
}

func (b blobs) GetBlob(ctx context.Context, key clavis.BlobKey) ([]byte, error) {
	var data []byte
	err := b.db.QueryRowContext(ctx, `SELECT data FROM blob_data WHERE space_id = $1 AND sha256 = $2`, key.Space, key.SHA256).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clavis.Errorf(clavis.ENotFound, "blob %s is not stored", key.SHA256)
	}
	if err != nil {
		return nil, clavis.Internal(err)
	}
	return data, nil
}

func (b blobs) DeleteBlob(ctx context.Context, key clavis.BlobKey) error {
	if _, err := b.db.ExecContext(ctx, `DELETE FROM blob_data WHERE space_id = $1 AND sha256 = $2`, key.Space, key.SHA256); err != nil {
		return clavis.Internal(err)
	}
	return nil
}

func (b blobs) DeleteSpace(ctx context.Context, space string) error {
	if _, err := b.db.ExecContext(ctx, `DELETE FROM blob_data WHERE space_id = $1`, space); err != nil {
		return clavis.Internal(err)
	}
	return nil
}

func (b blobs) WalkBlobs(ctx context.Context, fn func(clavis.BlobKey) error) error {
	rows, err := b.db.QueryContext(ctx, `SELECT space_id, sha256 FROM blob_data ORDER BY space_id, sha256`)
	if err != nil {
		return clavis.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k clavis.BlobKey
		if err := rows.Scan(&k.Space, &k.SHA256); err != nil {
			return clavis.Internal(err)
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return clavis.Internal(err)
	}
	return nil
}
