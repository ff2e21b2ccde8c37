package sqlstore

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
)

// PurgeDeleted empties the spaces of deleted apps a batch at a time, so that
// deleting an app of many inputs never holds the database for long: jobs,
// then inputs (with their annotations), concepts and add jobs, then blob
// references (returned, so that their content goes too), and last, in a
// call of its own, the space.
func (s inputs) PurgeDeleted(ctx context.Context, limit int) (*clavis.Purge, error) {
	p := &clavis.Purge{}
	err := s.v.inTx(ctx, func(v view) error {
		*p = clavis.Purge{}
		space, err := get(ctx, v, scanString, nil, `SELECT id FROM app_spaces WHERE app_id IS NULL ORDER BY created_at, id LIMIT 1`)
		if err != nil || space == "" {
			return err
		}
		left := limit
		for _, step := range []struct{ table, key string }{
			{"jobs", "id"}, {"inputs", "id"}, {"concepts", "id"}, {"input_add_jobs", "id"},
		} {
			n, err := v.deleteSome(ctx, step.table, step.key, space, left)
			if err != nil {
				return err
			}
			if left -= n; left <= 0 {
				p.More = true
				return nil
			}
		}
		keys, err := list(ctx, v, scanString, `DELETE FROM blobs WHERE space_id = ? AND sha256 IN
			(SELECT sha256 FROM blobs WHERE space_id = ? LIMIT ?) RETURNING sha256`, space, space, left)
		if err != nil {
			return err
		}
		for _, k := range keys {
			p.Blobs = append(p.Blobs, clavis.BlobKey{Space: space, SHA256: k})
		}
		if len(keys) > 0 {
			// The space goes in a later call, once the caller has deleted
			// this content: a space that is gone has none left.
			p.More = true
			return nil
		}
		if _, err := v.exec(ctx, `DELETE FROM app_spaces WHERE id = ?`, space); err != nil {
			return v.internal(err)
		}
		p.Spaces = []string{space}
		more, err := get(ctx, v, scanInt, nil, `SELECT count(*) FROM app_spaces WHERE app_id IS NULL`)
		p.More = more > 0
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// deleteSome deletes up to n rows of a space from table and returns how many
// it deleted.
func (v view) deleteSome(ctx context.Context, table, key, space string, n int) (int, error) {
	return v.execCount(ctx, `DELETE FROM `+table+` WHERE space_id = ? AND `+key+` IN
		(SELECT `+key+` FROM `+table+` WHERE space_id = ? LIMIT ?)`, space, space, n)
}
