package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/sqlstore"
)

// Source is what Import reads from: a *sql.DB or, for a consistent
// snapshot, a *sql.Tx over a Clavis SQLite database at the current schema.
type Source interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// table is one table Import copies, in an order that satisfies foreign keys.
type table struct {
	name  string
	cols  []string
	bools map[string]bool // INTEGER 0/1 in SQLite, BOOLEAN here
	blobs map[string]bool // BLOB in SQLite, BYTEA here
}

var tables = []table{
	{name: "users", cols: []string{"id", "email", "first_name", "last_name", "admin", "disabled", "system", "created_at", "updated_at", "kind", "name"},
		bools: map[string]bool{"admin": true, "disabled": true, "system": true}},
	{name: "apps", cols: []string{"owner_id", "id", "name", "description", "default_language", "notes", "visibility", "created_at", "updated_at"}},
	{name: "keys", cols: []string{"id", "user_id", "type", "app_owner_id", "app_id", "digest", "hint", "description", "scopes", "endpoints", "created_at", "expires_at", "last_used_at",
		"replaced_by", "rotated_at", "last_used_addr", "allow_cidrs", "rate_limit"},
		blobs: map[string]bool{"digest": true}},
	{name: "collaborators", cols: []string{"id", "app_owner_id", "app_id", "user_id", "scopes", "endpoints", "created_at", "updated_at", "deleted_at"}},
	{name: "org_members", cols: []string{"org_id", "user_id", "role", "scopes", "created_at"}},
	{name: "org_key_policies", cols: []string{"org_id", "pat_max_lifetime", "pat_expiry_required", "app_max_lifetime", "app_expiry_required", "stop_at", "updated_at"},
		bools: map[string]bool{"pat_expiry_required": true, "app_expiry_required": true}},
	{name: "teams", cols: []string{"org_id", "id", "name", "scopes", "created_at"}},
	{name: "team_members", cols: []string{"org_id", "team_id", "user_id"}},
	{name: "team_apps", cols: []string{"org_id", "team_id", "app_id"}},
	{name: "app_spaces", cols: []string{"id", "app_owner_id", "app_id", "inputs", "bytes", "created_at"}},
	{name: "blobs", cols: []string{"space_id", "sha256", "size", "reserved_until", "created_at"}},
	{name: "input_add_jobs", cols: []string{"space_id", "id", "refused", "cancelled", "created_at", "updated_at"},
		bools: map[string]bool{"cancelled": true}},
	{name: "inputs", cols: []string{"space_id", "id", "status", "status_details", "url", "blob_sha256", "size", "width", "height",
		"format", "metadata", "add_job_id", "user_id", "created_at", "updated_at"}},
	{name: "annotations", cols: []string{"space_id", "id", "input_id", "user_id", "model_owner_id", "model_app_id", "model_id",
		"model_version_id", "input_level", "data", "created_at", "updated_at"}, bools: map[string]bool{"input_level": true}},
	{name: "annotation_concepts", cols: []string{"space_id", "annotation_id", "input_id", "region_id", "concept_id", "value", "by_model"},
		bools: map[string]bool{"by_model": true}},
	{name: "concepts", cols: []string{"space_id", "id", "name", "created_at", "updated_at"}},
	{name: "input_embeddings", cols: []string{"space_id", "input_id", "model_version_id", "vector", "created_at"},
		blobs: map[string]bool{"vector": true}},
	{name: "jobs", cols: []string{"id", "kind", "space_id", "input_id", "payload", "state", "attempts", "run_after", "lease_owner",
		"lease_until", "last_error", "created_at", "updated_at"}},
	{name: "passwords", cols: []string{"user_id", "hash", "must_change", "updated_at"},
		bools: map[string]bool{"must_change": true}},
	{name: "sessions", cols: []string{"digest", "user_id", "must_change", "created_at", "last_seen_at", "expires_at"},
		bools: map[string]bool{"must_change": true}, blobs: map[string]bool{"digest": true}},
	{name: "login_failures", cols: []string{"subject", "window_start", "failures"}},
	{name: "audit_log", cols: []string{"id", "at", "event", "success", "actor_id", "actor_key_id", "subject_id", "key_id", "org_id",
		"app_owner_id", "app_id", "details", "source_ip", "req_id", "count", "until"}, bools: map[string]bool{"success": true}},
}

// ImportOptions adjust Import.
type ImportOptions struct {
	// Replace empties a target that already holds data instead of refusing
	// it.
	Replace bool
	// Blobs reads the content of the blobs the source references (its
	// blob store), to store it in the target's table blob_data. A blob it
	// does not have (ENotFound) is skipped: its inputs will answer that
	// their image is missing.
	Blobs clavis.BlobStore
}

// Tables returns the names of the tables Import copies, in copy order.
func Tables() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}

// Import copies every row of a Clavis SQLite database at the current schema
// into d, in one transaction, and returns how many rows each table received.
// A target that already holds users or organizations (as one a server has
// started on does) is refused with EConflict unless opts.Replace, which
// deletes its contents first. Servers running on d empty their credential
// caches when the import commits.
func (d *DB) Import(ctx context.Context, src Source, opts ImportOptions) (map[string]int, error) {
	counts := map[string]int{}
	err := d.runTx(ctx, func(q sqlstore.Querier) error {
		// One "all" event at the end instead of a grant event per row.
		if _, err := q.ExecContext(ctx, `SET LOCAL clavis.bulk = 'on'`); err != nil {
			return clavis.Internal(err)
		}
		// Keep servers from writing while the copy runs.
		if _, err := q.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return clavis.Internal(err)
		}
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
			return clavis.Internal(err)
		}
		if n > 0 && !opts.Replace {
			return clavis.Errorf(clavis.EConflict, "the target database is not empty (%d users and organizations): import into a database no server has started on, or replace its contents with --force", n)
		}
		if n > 0 {
			if _, err := q.ExecContext(ctx, `TRUNCATE blob_data, `+strings.Join(Tables(), ", ")); err != nil {
				return clavis.Internal(fmt.Errorf("empty the target: %w", err))
			}
		}
		for _, t := range tables {
			c, err := copyTable(ctx, src, q, t)
			if err != nil {
				return clavis.Internal(fmt.Errorf("copy %s: %w", t.name, err))
			}
			counts[t.name] = c
		}
		if opts.Blobs != nil {
			n, err := copyBlobs(ctx, q, opts.Blobs)
			if err != nil {
				return err
			}
			counts["blob_data"] = n
		}
		// Delivered at commit, and only then: replicas running on d drop
		// what they cached of the replaced contents.
		payload, _ := json.Marshal(event{Src: "import", Kind: kindAll})
		if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, string(payload)); err != nil {
			return clavis.Internal(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

func copyTable(ctx context.Context, src Source, dst sqlstore.Querier, t table) (int, error) {
	cols := strings.Join(t.cols, ", ")
	rows, err := src.QueryContext(ctx, `SELECT `+cols+` FROM `+t.name)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	ph := make([]string, len(t.cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	insert := `INSERT INTO ` + t.name + ` (` + cols + `) VALUES (` + strings.Join(ph, ", ") + `)`
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range t.cols {
			switch v := vals[i].(type) {
			case int64:
				if t.bools[c] {
					vals[i] = v != 0
				}
			case []byte:
				if !t.blobs[c] {
					vals[i] = string(v)
				}
			case string:
				if t.blobs[c] {
					vals[i] = []byte(v)
				}
			}
		}
		if _, err := dst.ExecContext(ctx, insert, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// copyBlobs stores the content of every blob the target now references.
func copyBlobs(ctx context.Context, q sqlstore.Querier, src clavis.BlobStore) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT space_id, sha256 FROM blobs ORDER BY space_id, sha256`)
	if err != nil {
		return 0, clavis.Internal(err)
	}
	var keys []clavis.BlobKey
	for rows.Next() {
		var k clavis.BlobKey
		if err := rows.Scan(&k.Space, &k.SHA256); err != nil {
			rows.Close()
			return 0, clavis.Internal(err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, clavis.Internal(err)
	}
	n := 0
	for _, k := range keys {
		data, err := src.GetBlob(ctx, k)
		if clavis.ErrorCode(err) == clavis.ENotFound {
			continue
		}
		if err != nil {
			return n, err
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO blob_data (space_id, sha256, data) VALUES ($1, $2, $3)`, k.Space, k.SHA256, data); err != nil {
			return n, clavis.Internal(fmt.Errorf("copy blob %s: %w", k.SHA256, err))
		}
		n++
	}
	return n, nil
}
