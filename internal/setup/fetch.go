package setup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// NpmPack is the default PackFunc: it runs
// `npm pack <spec> --pack-destination <dir> --ignore-scripts --json` with dir
// as the working directory, so no install scripts run and npm uses whatever
// registry its configuration names. It returns the path of the tarball npm
// reports.
func NpmPack(ctx context.Context, spec, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "npm", "pack", spec, "--pack-destination", dir, "--ignore-scripts", "--json")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm pack %s: %w: %s", spec, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var out []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || len(out) != 1 || out[0].Filename == "" {
		return "", fmt.Errorf("npm pack %s: unexpected output %q", spec, bytes.TrimSpace(stdout.Bytes()))
	}
	return filepath.Join(dir, filepath.Base(out[0].Filename)), nil
}

// tarball returns the path of p's verified tarball in the cache, fetching it
// when the cache has no valid copy.
func tarball(ctx context.Context, opts Options, p Package) (string, error) {
	cached := filepath.Join(opts.CacheDir, p.SHA256+".tgz")
	ok, err := hasDigest(cached, p.SHA256)
	if err != nil {
		return "", err
	}
	if ok {
		fmt.Fprintf(opts.Log, "%s: using cached %s\n", p.Spec(), cached)
		return cached, nil
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return "", err
	}
	// Pack into a private directory in the cache, so the rename below stays
	// on one file system and a concurrent setup never sees a partial file.
	tmp, err := os.MkdirTemp(opts.CacheDir, "pack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(opts.Log, "%s: fetching with npm pack\n", p.Spec())
	got, err := opts.Pack(ctx, p.Spec(), tmp)
	if err != nil {
		return "", err
	}
	sum, err := fileDigest(got)
	if err != nil {
		return "", fmt.Errorf("packed tarball: %w", err)
	}
	if sum != p.SHA256 {
		return "", fmt.Errorf("tarball SHA-256 mismatch: got %s, want %s; refusing it", sum, p.SHA256)
	}
	if err := os.Rename(got, cached); err != nil {
		return "", err
	}
	return cached, nil
}

// extract writes the files of todo from the gzipped tarball tgz into
// modelsDir, verifying each one's digest before it is renamed into place.
func extract(tgz, modelsDir string, todo []File, log io.Writer) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	want := map[string][]File{}
	for _, file := range todo {
		want[file.Src] = append(want[file.Src], file)
	}
	tr := tar.NewReader(zr)
	for len(want) > 0 {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
		files, ok := want[h.Name]
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		delete(want, h.Name)
		// The same source may go to several destinations; the tar stream is
		// read once, so the first copy is written and the rest copied from it.
		first := destPath(modelsDir, files[0].Dest)
		if err := writeVerified(first, tr, files[0].SHA256); err != nil {
			return fmt.Errorf("%s: %w", files[0].Src, err)
		}
		fmt.Fprintf(log, "wrote %s\n", first)
		for _, file := range files[1:] {
			src, err := os.Open(first)
			if err != nil {
				return err
			}
			path := destPath(modelsDir, file.Dest)
			err = writeVerified(path, src, file.SHA256)
			src.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", file.Src, err)
			}
			fmt.Fprintf(log, "wrote %s\n", path)
		}
	}
	for src := range want {
		return fmt.Errorf("file %s not found in the tarball", src)
	}
	return nil
}

// writeVerified writes r to path through a temporary file in the same
// directory, and renames it into place only if its SHA-256 is digest.
func writeVerified(path string, r io.Reader, digest string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return fmt.Errorf("SHA-256 mismatch: got %s, want %s; refusing it", got, digest)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// hasDigest reports whether path is a regular file whose SHA-256 is digest.
// A missing file is not an error.
func hasDigest(path, digest string) (bool, error) {
	sum, err := fileDigest(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return sum == digest, nil
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
