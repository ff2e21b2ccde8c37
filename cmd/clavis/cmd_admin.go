package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

// runAdmin works offline on the data dir, for recovery when every admin PAT
// is lost. Run it with the server stopped, or at least on the same machine.
func runAdmin(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create-pat" {
		return usagef("usage: clavis admin create-pat (--data-dir DIR | --db postgres://...) [--user ID]")
	}
	cfg := DefaultConfig()
	if err := cfg.fromEnv(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	fs := flag.NewFlagSet("admin create-pat", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "the server's data directory (env CLAVIS_DATA_DIR)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "the server's database: empty for SQLite in the data dir, or a postgres:// URL (env CLAVIS_DB)")
	user := fs.String("user", cfg.BootstrapUser, "admin user to create the PAT for")
	if err := parseFlags(fs, env, args[1:], 0, "admin create-pat (--data-dir DIR | --db postgres://...) [--user ID]"); err != nil {
		return err
	}
	if cfg.DB == "" {
		path := filepath.Join(cfg.DataDir, "clavis.db")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no Clavis database at %s: %w", path, err)
		}
	}
	db, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := service.New(service.Config{Store: db, Hasher: auth.NewHasher([]byte(cfg.TokenPepper))})
	tok, err := svc.CreateAdminPAT(ctx, *user, "recovery (clavis admin create-pat)")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "Created a PAT with scope All for admin %s; it is shown once:\n", *user)
	fmt.Fprintln(env.Stdout, tok)
	return nil
}
