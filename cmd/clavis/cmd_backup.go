package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// runBackup implements `clavis backup --to FILE`: a consistent copy of the
// embedded database, taken while servers keep running on it.
func runBackup(ctx context.Context, env *Env, args []string) error {
	cfg := DefaultConfig()
	if err := cfg.fromEnv(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "the server's data directory (env CLAVIS_DATA_DIR)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "the server's database, if not SQLite in the data dir (env CLAVIS_DB)")
	to := fs.String("to", "", "the backup file to write; it must not exist")
	if err := parseFlags(fs, env, args, 0, "backup --to FILE [--data-dir DIR]"); err != nil {
		return err
	}
	if cfg.DB != "" {
		return usagef("the database is PostgreSQL: back it up with pg_dump (see docs/deploy.md); clavis backup copies the embedded SQLite database")
	}
	if *to == "" {
		return usagef("--to FILE is required")
	}
	src := filepath.Join(cfg.DataDir, "clavis.db")
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("no Clavis database at %s: %w", src, err)
	}
	if err := sqlite.Backup(ctx, src, *to); err != nil {
		return err
	}
	fi, err := os.Stat(*to)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Backed up %s to %s (%d bytes). To restore it, stop the server and copy it to %s (see docs/deploy.md).\n", src, *to, fi.Size(), src)
	return nil
}
