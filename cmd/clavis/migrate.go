package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/internal/store/blobdir"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

func migrateCmd(env *Env) *cobra.Command {
	var from, to string
	var force bool
	c := &cobra.Command{
		Use:   "migrate --from DATA_DIR_OR_SQLITE_FILE --to postgres://... [--force]",
		Short: "Copy a SQLite installation into an empty PostgreSQL database",
		Long: `Copy a whole SQLite installation into an empty PostgreSQL database, in one
PostgreSQL transaction: either everything arrives or nothing does. With
--force it replaces what a non-empty target holds. See docs/deploy.md.`,
		Example: `  clavis migrate --from ./clavis-data --to postgres://clavis@db/clavis`,
		Args:    exactArgs(),
		PreRunE: func(*cobra.Command, []string) error {
			if from == "" || !postgres.IsDSN(to) {
				return usagef("--from DATA_DIR_OR_SQLITE_FILE and --to postgres://... are required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runMigrate(cmd.Context(), env, from, to, force) },
	}
	c.Flags().StringVar(&from, "from", "", "the SQLite installation: a data dir (its clavis.db) or the database file")
	c.Flags().StringVar(&to, "to", "", "the empty PostgreSQL database, as a postgres:// URL")
	c.Flags().BoolVar(&force, "force", false, "replace everything a non-empty target database holds")
	return c
}

// runMigrate copies a whole SQLite installation into an empty PostgreSQL
// database, in one PostgreSQL transaction: either everything arrives or
// nothing does. With force it replaces what a non-empty target holds.
func runMigrate(ctx context.Context, env *Env, from, to string, force bool) error {
	path := from
	if fi, err := os.Stat(path); err != nil {
		return fmt.Errorf("no Clavis installation at %s: %w", path, err)
	} else if fi.IsDir() {
		path = filepath.Join(path, "clavis.db")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no Clavis database in %s: %w", from, err)
		}
	}
	// Opening through the engine brings an older file to the current schema.
	sdb, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	sdb.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	src, err := sql.Open("sqlite", "file:"+abs+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer src.Close()
	// One read transaction: a consistent snapshot even if a server writes.
	snap, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer snap.Rollback()

	dst, err := postgres.Open(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	// The images of inputs are files beside the database (see blobsDir).
	opts := postgres.ImportOptions{Replace: force}
	if dir := filepath.Join(filepath.Dir(path), blobsDir); dirExists(dir) {
		if opts.Blobs, err = blobdir.Open(dir); err != nil {
			return err
		}
	}
	counts, err := dst.Import(ctx, snap, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Copied %s into PostgreSQL:", path)
	for _, t := range append(postgres.Tables(), "blob_data") {
		fmt.Fprintf(env.Stdout, " %d %s", counts[t], t)
	}
	fmt.Fprintln(env.Stdout)
	fmt.Fprintln(env.Stderr, "Start the servers with --db set to the same URL and the same CLAVIS_TOKEN_PEPPER.")
	return nil
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
