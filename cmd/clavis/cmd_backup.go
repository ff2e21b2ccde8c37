package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// backupCmd copies the embedded database while servers keep running on it.
func backupCmd(env *Env) *cobra.Command {
	cfg := DefaultConfig()
	envErr := cfg.fromEnv(env.Getenv)
	var to string
	c := &cobra.Command{
		Use:   "backup --to FILE [--data-dir DIR]",
		Short: "Copy the embedded database to a file while the server runs",
		Long: `Copy the embedded SQLite database of a data dir to a new file, while
servers keep serving from it: one consistent snapshot, checked with
SQLite's quick_check, synced to disk, mode 0600. It refuses a FILE that
exists. To restore, stop the server and copy FILE to <data-dir>/clavis.db
(docs/deploy.md). A PostgreSQL database is backed up with pg_dump.`,
		Example: `  clavis backup --to /backups/clavis-$(date +%F).db
  clavis backup --data-dir /var/lib/clavis --to /backups/clavis.db`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if envErr != nil {
				return usagef("%v", envErr)
			}
			if cfg.DB != "" {
				return usagef("the database is PostgreSQL: back it up with pg_dump (see docs/deploy.md); clavis backup copies the embedded SQLite database")
			}
			if to == "" {
				return usagef("--to FILE is required")
			}
			src := filepath.Join(cfg.DataDir, "clavis.db")
			if _, err := os.Stat(src); err != nil {
				return fmt.Errorf("no Clavis database at %s: %w", src, err)
			}
			if err := sqlite.Backup(cmd.Context(), src, to); err != nil {
				return err
			}
			fi, err := os.Stat(to)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "Backed up %s to %s (%d bytes). To restore it, stop the server and copy it to %s (see docs/deploy.md).\n", src, to, fi.Size(), src)
			return nil
		},
	}
	c.Flags().StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "the server's data directory (env CLAVIS_DATA_DIR)")
	c.Flags().StringVar(&cfg.DB, "db", cfg.DB, "the server's database, when it is not SQLite in the data dir (env CLAVIS_DB)")
	c.Flags().StringVar(&to, "to", "", "the backup file to write; it must not exist")
	return c
}
