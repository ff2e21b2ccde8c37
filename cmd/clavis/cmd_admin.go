package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

func adminCmd(env *Env) *cobra.Command {
	return group("admin", "Offline administration on the data dir or database: create-pat", `  clavis admin create-pat --data-dir ./clavis-data`,
		adminCreatePATCmd(env))
}

// adminCreatePATCmd works offline on the data dir, for recovery when every
// admin PAT is lost. Run it with the server stopped, or at least on the
// same machine.
func adminCreatePATCmd(env *Env) *cobra.Command {
	// As for serve, the environment gives the defaults and the flags win.
	cfg := DefaultConfig()
	envErr := cfg.fromEnv(env.Getenv)
	var user string
	c := &cobra.Command{
		Use:   "create-pat (--data-dir DIR | --db postgres://...) [--user ID]",
		Short: "Create a PAT with scope All for an admin, offline, when every admin PAT is lost",
		Long: `Create a PAT with scope All for an admin user, working directly on the
server's data dir or database (no server needed), for when every admin PAT
is lost. The PAT is printed once, alone on standard output. Servers that
use CLAVIS_TOKEN_PEPPER need the same value in the environment.`,
		Example: `  clavis admin create-pat --data-dir ./clavis-data
  clavis admin create-pat --db postgres://clavis@db/clavis --user admin`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if envErr != nil {
				return usagef("%v", envErr)
			}
			if cfg.DB == "" {
				path := filepath.Join(cfg.DataDir, "clavis.db")
				if _, err := os.Stat(path); err != nil {
					return fmt.Errorf("no Clavis database at %s: %w", path, err)
				}
			}
			ctx := cmd.Context()
			db, err := cfg.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := service.New(service.Config{Store: db, Hasher: auth.NewHasher([]byte(cfg.TokenPepper))})
			tok, err := svc.CreateAdminPAT(ctx, user, "recovery (clavis admin create-pat)")
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "Created a PAT with scope All for admin %s; it is shown once:\n", user)
			fmt.Fprintln(env.Stdout, tok)
			return nil
		},
	}
	c.Flags().StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "the server's data directory (env CLAVIS_DATA_DIR)")
	c.Flags().StringVar(&cfg.DB, "db", cfg.DB, "the server's database: empty for SQLite in the data dir, or a postgres:// URL (env CLAVIS_DB)")
	c.Flags().StringVar(&user, "user", cfg.BootstrapUser, "admin user to create the PAT for")
	return c
}
