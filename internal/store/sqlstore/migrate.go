package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"
)

// shared holds the migrations both engines apply: portable SQL, written once
// (see Migrate, and migrations/README.md, for what they may use).
//
//go:embed migrations
var shared embed.FS

// migration is one file of SQL to apply once.
type migration struct {
	name string // recorded in schema_migrations: migrations/NNNN_what.sql
	fsys fs.FS
}

// migrations returns the shared migrations and the engine's, ordered by
// name. Numbers are global: an error names two migrations that share one.
func migrations(engine fs.FS) ([]migration, error) {
	var all []migration
	seen := map[string]string{}
	for _, src := range []struct {
		what string
		fsys fs.FS
	}{{"shared", shared}, {"engine", engine}} {
		names, err := fs.Glob(src.fsys, "migrations/*.sql")
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			num := path.Base(name)[:4]
			if other, ok := seen[num]; ok {
				return nil, fmt.Errorf("migrations %s and %s (%s) share the number %s", other, name, src.what, num)
			}
			seen[num] = name
			all = append(all, migration{name: name, fsys: src.fsys})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	return all, nil
}

// Migrate applies, in name order, the migrations that the table
// schema_migrations does not record: the shared ones in this package's
// migrations directory and the engine's own in the migrations directory of
// engine (files named NNNN_what.sql, numbered across both sets). It applies
// them all in one transaction on db: a process that waits for the lock
// (SQLite's write lock, or d.MigrationLock) finds the work done, and a
// database is never left half migrated. Migrations are recorded by name, so
// a released migration is never renamed or edited; changes come as new files.
//
// Shared migrations use only SQL both engines read alike: the types TEXT,
// BIGINT (times as Unix microseconds), BOOLEAN, BYTEA and DOUBLE PRECISION,
// no generated keys, CHECK and FOREIGN KEY ... ON DELETE CASCADE
// constraints, and plain or partial indexes. Triggers and other engine
// features go in an engine's own migrations.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect, engine fs.FS) error {
	all, err := migrations(engine)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	for _, m := range all {
		var n int
		if err := tx.QueryRowContext(ctx, d.Rebind(`SELECT count(*) FROM schema_migrations WHERE name = ?`), m.name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(m.fsys, m.name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`), m.name, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}
