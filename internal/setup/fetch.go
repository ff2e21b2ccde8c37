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
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
)

// NpmFetch is the default FetchFunc. It asks npm where the tarball of p is,
// with `npm view NAME@VERSION dist.tarball --json`, so that npm's own
// configuration picks the registry (Clavis names none), and downloads it
// over HTTP itself, so that the download can show its progress. The
// environment's HTTPS_PROXY and HTTP_PROXY apply; registries that need
// credentials do not work.
func NpmFetch(ctx context.Context, p manifest.Package) (io.ReadCloser, int64, error) {
	u, err := npmTarballURL(ctx, p.Spec())
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return resp.Body, resp.ContentLength, nil
}

// npmTarballURL returns the URL of spec's tarball as npm reports it.
func npmTarballURL(ctx context.Context, spec string) (string, error) {
	cmd := exec.CommandContext(ctx, "npm", "view", spec, "dist.tarball", "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm view %s: %w: %s", spec, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var s string
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		return "", fmt.Errorf("npm view %s: unexpected output %q", spec, bytes.TrimSpace(stdout.Bytes()))
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("npm view %s: tarball %q is not an HTTP URL", spec, s)
	}
	return s, nil
}

// tarball returns the path of p's verified tarball in the cache, fetching it
// when the cache has no valid copy.
func tarball(ctx context.Context, opts Options, p manifest.Package, sum *Summary) (string, error) {
	cached := filepath.Join(opts.CacheDir, p.SHA256+".tgz")
	ok, err := hasDigest(cached, p.SHA256)
	if err != nil {
		return "", err
	}
	if ok {
		fmt.Fprintf(opts.Out, "using cached %s (%s)\n", p.Spec(), cached)
		sum.Cached = append(sum.Cached, p.Spec())
		return cached, nil
	}
	if err := os.MkdirAll(opts.CacheDir, 0o755); err != nil {
		return "", err
	}
	// Download into the cache dir, so the rename below stays on one file
	// system and a concurrent setup never sees a partial file.
	tmp, err := os.CreateTemp(opts.CacheDir, ".fetch-*.tgz")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	defer tmp.Close()
	body, size, err := opts.Fetch(ctx, p)
	if err != nil {
		return "", err
	}
	defer body.Close()
	m := newMeter(opts, p.Spec(), size)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h, m), body)
	m.end(err)
	if err != nil {
		return "", fmt.Errorf("download: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.SHA256 {
		return "", fmt.Errorf("tarball SHA-256 mismatch: got %s, want %s; refusing it", got, p.SHA256)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), cached); err != nil {
		return "", err
	}
	sum.Fetched = append(sum.Fetched, Download{Spec: p.Spec(), Bytes: n, Elapsed: m.elapsed()})
	return cached, nil
}

// extract writes the files of todo from the gzipped tarball tgz into
// modelsDir, verifying each one's digest before it is renamed into place.
func extract(tgz, modelsDir string, todo []manifest.File, out io.Writer, sum *Summary) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	want := map[string][]manifest.File{}
	for _, file := range todo {
		want[file.Src] = append(want[file.Src], file)
	}
	wrote := func(file manifest.File, size int64) {
		fmt.Fprintf(out, "wrote %s (%s)\n", manifest.Path(modelsDir, file.Dest), formatBytes(size))
		sum.Written = append(sum.Written, file.Dest)
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
		first := manifest.Path(modelsDir, files[0].Dest)
		if err := writeVerified(first, tr, files[0].SHA256); err != nil {
			return fmt.Errorf("%s: %w", files[0].Src, err)
		}
		wrote(files[0], h.Size)
		for _, file := range files[1:] {
			src, err := os.Open(first)
			if err != nil {
				return err
			}
			err = writeVerified(manifest.Path(modelsDir, file.Dest), src, file.SHA256)
			src.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", file.Src, err)
			}
			wrote(file, h.Size)
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
