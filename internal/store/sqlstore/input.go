package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type inputs struct{ v view }

const inputCols = `space_id, id, status, status_details, url, blob_sha256, size, width, height, format, metadata, add_job_id, user_id, created_at, updated_at`

// scanInput returns a scanner of inputs of app.
func scanInput(app clavis.AppRef) func(scanner) (*clavis.StoredInput, error) {
	return func(row scanner) (*clavis.StoredInput, error) {
		in := clavis.StoredInput{App: app}
		var space, meta string
		var blob sql.NullString
		var created, updated int64
		if err := row.Scan(&space, &in.ID, &in.Status, &in.StatusDetails, &in.URL, &blob, &in.Size,
			&in.Image.Width, &in.Image.Height, &in.Image.Format, &meta, &in.AddJobID, &in.UserID, &created, &updated); err != nil {
			return nil, err
		}
		if blob.Valid {
			in.Blob = &clavis.BlobKey{Space: space, SHA256: blob.String}
		}
		if err := json.Unmarshal([]byte(meta), &in.Metadata); err != nil {
			return nil, err
		}
		if in.Metadata == nil {
			in.Metadata = map[string]any{}
		}
		in.CreatedAt, in.UpdatedAt = fromMicros(created), fromMicros(updated)
		return &in, nil
	}
}

// encodeMetadata writes metadata as a JSON object; nil is the empty one.
func encodeMetadata(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", clavis.Errorf(clavis.EInvalid, "metadata cannot be stored as JSON: %v", err)
	}
	return string(b), nil
}

func blobSHA(k *clavis.BlobKey) sql.NullString {
	if k == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: k.SHA256, Valid: true}
}

// insertInputs inserts rows of inputs, in the order of inputCols.
var insertInputs = insert{head: `INSERT INTO inputs (` + inputCols + `)`, tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`}

func (s inputs) CreateInputs(ctx context.Context, app clavis.AppRef, ins []*clavis.StoredInput) error {
	if len(ins) == 0 {
		return nil
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, true)
		if err != nil {
			return err
		}
		rows := make([][]any, len(ins))
		for i, in := range ins {
			meta, err := encodeMetadata(in.Metadata)
			if err != nil {
				return err
			}
			rows[i] = []any{space, in.ID, in.Status, in.StatusDetails, in.URL, blobSHA(in.Blob), in.Size, in.Image.Width, in.Image.Height,
				in.Image.Format, meta, in.AddJobID, in.UserID, micros(in.CreatedAt), micros(in.UpdatedAt)}
		}
		if failed, err := v.insertRows(ctx, insertInputs, rows); err != nil {
			dup := clavis.Errorf(clavis.EInputDuplicate, "an input id of this request already exists in this app")
			if len(failed) == 1 {
				dup = clavis.Errorf(clavis.EInputDuplicate, "input id %q already exists in this app", failed[0][1])
			}
			return v.failed(err, dup, nil)
		}
		for _, in := range ins {
			if in.Blob != nil {
				in.Blob.Space = space
			}
		}
		_, err = v.exec(ctx, `UPDATE app_spaces SET inputs = inputs + ? WHERE id = ?`, len(ins), space)
		return v.failed(err, nil, nil)
	})
}

func (s inputs) GetInput(ctx context.Context, app clavis.AppRef, id string) (*clavis.StoredInput, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil {
		return nil, err
	}
	return get(ctx, s.v, scanInput(app), clavis.InputNotFound(id), `SELECT `+inputCols+` FROM inputs WHERE space_id = ? AND id = ?`, space, id)
}

func (s inputs) ListInputs(ctx context.Context, app clavis.AppRef, f clavis.InputFilter, p clavis.Page) ([]*clavis.StoredInput, error) {
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return nil, err
	}
	var w where
	w.add("space_id = ?", space)
	if len(f.IDs) > 0 {
		w.in("id", f.IDs)
	}
	if len(f.URLs) > 0 {
		w.in("url", f.URLs)
	}
	if f.Status != 0 {
		w.add("status = ?", f.Status)
	}
	if f.AddJobID != "" {
		w.add("add_job_id = ?", f.AddJobID)
	}
	limit, offset := page(p)
	return list(ctx, s.v, scanInput(app), `SELECT `+inputCols+` FROM inputs`+w.String()+` ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
		append(w.args, limit, offset)...)
}

func (s inputs) UpdateInput(ctx context.Context, in *clavis.StoredInput) error {
	meta, err := encodeMetadata(in.Metadata)
	if err != nil {
		return err
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, in.App, false)
		if err != nil {
			return err
		}
		res, err := v.exec(ctx, `UPDATE inputs SET status = ?, status_details = ?, blob_sha256 = ?, size = ?, width = ?, height = ?,
			format = ?, metadata = ?, updated_at = ? WHERE space_id = ? AND id = ?`,
			in.Status, in.StatusDetails, blobSHA(in.Blob), in.Size, in.Image.Width, in.Image.Height, in.Image.Format, meta,
			micros(in.UpdatedAt), space, in.ID)
		if err != nil {
			return v.failed(err, nil, nil)
		}
		return v.affected(res, nil, clavis.InputNotFound(in.ID))
	})
}

func (s inputs) DeleteInputs(ctx context.Context, app clavis.AppRef, ids []string, at time.Time) ([]clavis.BlobKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var freed []clavis.BlobKey
	err := s.v.inTx(ctx, func(v view) error {
		freed = freed[:0]
		space, err := v.space(ctx, app, false)
		if err != nil || space == "" {
			return err
		}
		idIn, idArgs := in("id", ids)
		shas, err := list(ctx, v, scanString, `SELECT DISTINCT blob_sha256 FROM inputs WHERE space_id = ? AND `+idIn+` AND blob_sha256 IS NOT NULL`,
			append([]any{space}, idArgs...)...)
		if err != nil {
			return err
		}
		n, err := v.execCount(ctx, `DELETE FROM inputs WHERE space_id = ? AND `+idIn, append([]any{space}, idArgs...)...)
		if err != nil {
			return err
		}
		if _, err := v.exec(ctx, `UPDATE app_spaces SET inputs = inputs - ? WHERE id = ?`, n, space); err != nil {
			return v.internal(err)
		}
		freed, err = v.dropBlobRefs(ctx, space, shas, at)
		return err
	})
	if err != nil {
		return nil, err
	}
	return freed, nil
}

func (s inputs) CountInputs(ctx context.Context, app clavis.AppRef) (clavis.InputCounts, error) {
	var c clavis.InputCounts
	space, err := s.v.space(ctx, app, false)
	if err != nil || space == "" {
		return c, err
	}
	return c, s.v.countByStatus(ctx, &c, `space_id = ?`, space)
}

// countByStatus adds the counts of the inputs matching cond to c.
func (v view) countByStatus(ctx context.Context, c *clavis.InputCounts, cond string, args ...any) error {
	type row struct {
		status clavis.InputStatus
		n      int
	}
	rows, err := list(ctx, v, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.status, &r.n)
		return r, err
	}, `SELECT status, count(*) FROM inputs WHERE `+cond+` GROUP BY status`, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		c.Add(r.status, r.n)
	}
	return nil
}

func (s inputs) Usage(ctx context.Context, app clavis.AppRef) (clavis.Usage, error) {
	return get(ctx, s.v, func(row scanner) (clavis.Usage, error) {
		var u clavis.Usage
		err := row.Scan(&u.Inputs, &u.Bytes)
		return u, err
	}, nil, `SELECT inputs, bytes FROM app_spaces WHERE app_owner_id = ? AND app_id = ?`, app.OwnerID, app.AppID)
}
