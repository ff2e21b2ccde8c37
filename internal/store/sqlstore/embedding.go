package sqlstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

type embeddings struct{ v view }

// encodeVector writes v as 4-byte little-endian floats.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func decodeVector(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("a stored vector of %d bytes", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

func scanEmbedding(row scanner) (clavis.InputEmbedding, error) {
	var e clavis.InputEmbedding
	var b []byte
	if err := row.Scan(&e.InputID, &b); err != nil {
		return e, err
	}
	v, err := decodeVector(b)
	e.Vector = v
	return e, err
}

func (s embeddings) PutEmbedding(ctx context.Context, app clavis.AppRef, version, inputID string, vec []float32, at time.Time) error {
	if len(vec) == 0 || version == "" {
		return clavis.Errorf(clavis.EInvalid, "an embedding needs a vector and a model version")
	}
	return s.v.inTx(ctx, func(v view) error {
		space, err := v.space(ctx, app, false)
		if err != nil {
			return err
		}
		if space == "" {
			return clavis.InputNotFound(inputID)
		}
		_, err = v.exec(ctx, `INSERT INTO input_embeddings (space_id, input_id, model_version_id, vector, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (space_id, model_version_id, input_id) DO UPDATE SET vector = excluded.vector, created_at = excluded.created_at`,
			space, inputID, version, encodeVector(vec), micros(at))
		return v.failed(err, nil, clavis.InputNotFound(inputID))
	})
}

func (s embeddings) EmbeddingSpaces(ctx context.Context, version string) ([]clavis.EmbeddingSpace, error) {
	var w where
	w.add("s.app_id IS NOT NULL")
	if version != "" {
		w.add("e.model_version_id = ?", version)
	}
	return list(ctx, s.v, func(row scanner) (clavis.EmbeddingSpace, error) {
		var sp clavis.EmbeddingSpace
		err := row.Scan(&sp.App.OwnerID, &sp.App.AppID, &sp.Version)
		return sp, err
	}, `SELECT DISTINCT s.app_owner_id, s.app_id, e.model_version_id FROM input_embeddings e JOIN app_spaces s ON s.id = e.space_id`+
		w.String()+` ORDER BY s.app_owner_id, s.app_id, e.model_version_id`, w.args...)
}

func (s embeddings) ListEmbeddings(ctx context.Context, sp clavis.EmbeddingSpace, after string, limit int) ([]clavis.InputEmbedding, error) {
	space, err := s.v.space(ctx, sp.App, false)
	if err != nil || space == "" || limit <= 0 {
		return nil, err
	}
	return list(ctx, s.v, scanEmbedding, `SELECT input_id, vector FROM input_embeddings
		WHERE space_id = ? AND model_version_id = ? AND input_id > ? ORDER BY input_id LIMIT ?`, space, sp.Version, after, limit)
}

func (s embeddings) GetEmbeddings(ctx context.Context, sp clavis.EmbeddingSpace, ids []string) ([]clavis.InputEmbedding, error) {
	space, err := s.v.space(ctx, sp.App, false)
	if err != nil || space == "" || len(ids) == 0 {
		return nil, err
	}
	var out []clavis.InputEmbedding
	// In chunks, to stay under the engines' limits on parameters.
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var w where
		w.add("space_id = ?", space)
		w.add("model_version_id = ?", sp.Version)
		w.in("input_id", ids[:n])
		es, err := list(ctx, s.v, scanEmbedding, `SELECT input_id, vector FROM input_embeddings`+w.String(), w.args...)
		if err != nil {
			return nil, err
		}
		out, ids = append(out, es...), ids[n:]
	}
	return out, nil
}

func (s embeddings) QueueMissingEmbeddings(ctx context.Context, kind, version string, at time.Time) (int, error) {
	// The job's id is made of its kind, space and input, so that replicas
	// queueing at once insert each job once.
	return s.v.execCount(ctx, `INSERT INTO jobs (id, kind, space_id, input_id, payload, state, attempts, run_after, lease_owner, lease_until, last_error, created_at, updated_at)
		SELECT CAST(? AS TEXT) || '/' || i.space_id || '/' || i.id, CAST(? AS TEXT), i.space_id, i.id, '', 'queued', 0, CAST(? AS BIGINT), '', 0, '', CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM inputs i JOIN app_spaces s ON s.id = i.space_id
		WHERE s.app_id IS NOT NULL AND i.status = ? AND i.blob_sha256 IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM input_embeddings e WHERE e.space_id = i.space_id AND e.input_id = i.id AND e.model_version_id = ?)
		AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.space_id = i.space_id AND j.input_id = i.id AND j.kind = ?)
		ON CONFLICT (id) DO NOTHING`,
		kind, kind, micros(at), micros(at), micros(at), clavis.InputSuccess, version, kind)
}
