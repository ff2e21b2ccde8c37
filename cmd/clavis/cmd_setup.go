package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/clavis-dev/clavis/internal/setup"
)

// runSetup installs the pinned ONNX Runtime and model files into the models
// dir, verifying every file's SHA-256: progress on stderr (a bar per
// download on a terminal), the summary on stdout.
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
	width, isTerm := terminal(env.Stderr)
	fmt.Fprintf(env.Stderr, "Models dir: %s\n", dir)
	sum, err := setup.Run(ctx, setup.Options{ModelsDir: dir, CacheDir: *cacheDir, Out: env.Stderr, Terminal: isTerm, Width: width})
	if err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, sum)
	return nil
}

// terminal reports whether w is a terminal, and its width in columns.
func terminal(w io.Writer) (width int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		width = 0 // setup's default
	}
	return width, true
}
