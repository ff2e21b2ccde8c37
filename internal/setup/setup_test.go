package setup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/internal/setup"
)

// fakePackage is a tiny npm tarball built in memory.
type fakePackage struct {
	tgz   []byte
	files map[string][]byte // path inside the tarball → contents
}

func newFakePackage(t testing.TB, files map[string][]byte) fakePackage {
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
	return fakePackage{tgz: buf.Bytes(), files: files}
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

// packer is a fake npm: it writes tgz into the given dir and counts calls.
type packer struct {
	tgz   []byte
	calls int
	specs []string
}

func (p *packer) pack(_ context.Context, spec, dir string) (string, error) {
	p.calls++
	p.specs = append(p.specs, spec)
	path := filepath.Join(dir, "fake-1.0.0.tgz")
	return path, os.WriteFile(path, p.tgz, 0o644)
}

var (
	modelBytes = []byte("not really an onnx model\n")
	keysBytes  = []byte("a\nb\nc\n")
)

// fixture returns a fake package, its manifest entry and a packer serving it.
func fixture(t testing.TB) (setup.Package, *packer) {
	fp := newFakePackage(t, map[string][]byte{
		"package/assets/model.onnx": modelBytes,
		"package/assets/keys.txt":   keysBytes,
		"package/README.md":         []byte("# fake\n"),
	})
	pkg := setup.Package{
		Name:    "@fake/models",
		Version: "1.0.0",
		SHA256:  digest(fp.tgz),
		Files: []setup.File{
			{Model: "fake-model", Src: "package/assets/model.onnx", SHA256: digest(modelBytes), Dest: "fake-model/model.onnx"},
			{Model: "fake-model", Src: "package/assets/keys.txt", SHA256: digest(keysBytes), Dest: "fake-model/keys.txt"},
		},
	}
	return pkg, &packer{tgz: fp.tgz}
}

func options(t testing.TB, pkg setup.Package, p *packer) setup.Options {
	return setup.Options{
		ModelsDir: filepath.Join(t.TempDir(), "models"),
		CacheDir:  filepath.Join(t.TempDir(), "cache"),
		Packages:  []setup.Package{pkg},
		Pack:      p.pack,
	}
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
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("leftover temporary file %s", path)
		}
		return nil
	})
}

func TestRun(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		pkg, p := fixture(t)
		opts := options(t, pkg, p)
		var log bytes.Buffer
		opts.Log = &log
		must(t, setup.Run(context.Background(), opts))
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "model.onnx"), modelBytes)
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "keys.txt"), keysBytes)
		assertFile(t, filepath.Join(opts.CacheDir, pkg.SHA256+".tgz"), p.tgz)
		if p.calls != 1 || p.specs[0] != "@fake/models@1.0.0" {
			t.Errorf("pack calls = %d %q, want 1 [@fake/models@1.0.0]", p.calls, p.specs)
		}
		if !strings.Contains(log.String(), "fake-model/model.onnx") {
			t.Errorf("log does not mention the written file:\n%s", log.String())
		}
		// Only the cached tarball is left in the cache: no pack- temp dirs.
		entries, err := os.ReadDir(opts.CacheDir)
		must(t, err)
		if len(entries) != 1 {
			t.Errorf("cache holds %d entries, want 1", len(entries))
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		pkg, p := fixture(t)
		opts := options(t, pkg, p)
		must(t, setup.Run(context.Background(), opts))
		// Remove the cache too: up-to-date files need no tarball at all.
		must(t, os.RemoveAll(opts.CacheDir))
		before, err := os.Stat(filepath.Join(opts.ModelsDir, "fake-model", "model.onnx"))
		must(t, err)
		must(t, setup.Run(context.Background(), opts))
		after, err := os.Stat(filepath.Join(opts.ModelsDir, "fake-model", "model.onnx"))
		must(t, err)
		if p.calls != 1 {
			t.Errorf("pack calls = %d after second run, want 1", p.calls)
		}
		if !os.SameFile(before, after) {
			t.Error("second run rewrote an up-to-date file")
		}
	})

	t.Run("CacheHitMakesNoPackCall", func(t *testing.T) {
		pkg, p := fixture(t)
		opts := options(t, pkg, p)
		must(t, setup.Run(context.Background(), opts))
		opts.ModelsDir = filepath.Join(t.TempDir(), "other-models")
		must(t, setup.Run(context.Background(), opts))
		if p.calls != 1 {
			t.Errorf("pack calls = %d, want 1 (second run should use the cache)", p.calls)
		}
		assertFile(t, filepath.Join(opts.ModelsDir, "fake-model", "model.onnx"), modelBytes)
	})

	t.Run("DamagedFileRewritten", func(t *testing.T) {
		pkg, p := fixture(t)
		opts := options(t, pkg, p)
		must(t, setup.Run(context.Background(), opts))
		path := filepath.Join(opts.ModelsDir, "fake-model", "keys.txt")
		must(t, os.WriteFile(path, []byte("tampered"), 0o644))
		must(t, setup.Run(context.Background(), opts))
		assertFile(t, path, keysBytes)
	})

	t.Run("CorruptCacheRefetched", func(t *testing.T) {
		pkg, p := fixture(t)
		opts := options(t, pkg, p)
		must(t, os.MkdirAll(opts.CacheDir, 0o755))
		cached := filepath.Join(opts.CacheDir, pkg.SHA256+".tgz")
		must(t, os.WriteFile(cached, []byte("truncated"), 0o644))
		must(t, setup.Run(context.Background(), opts))
		if p.calls != 1 {
			t.Errorf("pack calls = %d, want 1", p.calls)
		}
		assertFile(t, cached, p.tgz)
	})
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*setup.Package, *packer)
		wantErr string
		absent  []string // files of fake-model that must not be written
	}{
		{"TarballChecksumMismatch", func(pkg *setup.Package, _ *packer) {
			pkg.SHA256 = strings.Repeat("0", 64)
		}, "tarball SHA-256 mismatch", []string{"model.onnx", "keys.txt"}},
		{"FileChecksumMismatch", func(pkg *setup.Package, _ *packer) {
			pkg.Files[1].SHA256 = strings.Repeat("1", 64)
		}, "SHA-256 mismatch", []string{"keys.txt"}},
		{"FileNotInTarball", func(pkg *setup.Package, _ *packer) {
			pkg.Files[0].Src = "package/assets/absent.onnx"
		}, "not found in the tarball", []string{"model.onnx"}},
		{"NotATarball", func(pkg *setup.Package, p *packer) {
			p.tgz = []byte("<html>not a tarball</html>")
			pkg.SHA256 = digest(p.tgz)
		}, "gzip", []string{"model.onnx", "keys.txt"}},
		{"DestEscapesModelsDir", func(pkg *setup.Package, _ *packer) {
			pkg.Files[0].Dest = "../escape.onnx"
		}, "inside the models dir", []string{"model.onnx", "keys.txt"}},
		{"AbsoluteDest", func(pkg *setup.Package, _ *packer) {
			pkg.Files[0].Dest = "/tmp/escape.onnx"
		}, "inside the models dir", []string{"model.onnx", "keys.txt"}},
		{"UnpinnedPackage", func(pkg *setup.Package, _ *packer) {
			pkg.SHA256 = ""
		}, "SHA-256 are required", []string{"model.onnx", "keys.txt"}},
		{"OutputsWithoutConvert", func(pkg *setup.Package, _ *packer) {
			pkg.Outputs = []setup.Output{{Model: "fake-model", Dest: "fake-model/converted.onnx"}}
		}, "without a Convert step", []string{"model.onnx", "keys.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkg, p := fixture(t)
			tt.edit(&pkg, p)
			opts := options(t, pkg, p)
			err := setup.Run(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.wantErr)
			}
			assertNoTempFiles(t, opts.ModelsDir)
			for _, name := range tt.absent {
				if _, err := os.Stat(filepath.Join(opts.ModelsDir, "fake-model", name)); err == nil {
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

func TestRunPackError(t *testing.T) {
	pkg, _ := fixture(t)
	errOffline := errors.New("offline")
	opts := options(t, pkg, &packer{})
	opts.Pack = func(context.Context, string, string) (string, error) { return "", errOffline }
	if err := setup.Run(context.Background(), opts); !errors.Is(err, errOffline) {
		t.Fatalf("Run error = %v, want %v", err, errOffline)
	}
}

func TestRunConvert(t *testing.T) {
	pkg, p := fixture(t)
	converted := []byte("converted")
	calls := 0
	pkg.Convert = func(_ context.Context, modelsDir string) error {
		calls++
		src, err := os.ReadFile(filepath.Join(modelsDir, "fake-model", "model.onnx"))
		if err != nil {
			return err
		}
		if !bytes.Equal(src, modelBytes) {
			return errors.New("convert ran before the files were in place")
		}
		return os.WriteFile(filepath.Join(modelsDir, "fake-model", "converted.onnx"), converted, 0o644)
	}
	pkg.Outputs = []setup.Output{{Model: "fake-converted", Dest: "fake-model/converted.onnx", SHA256: digest(converted)}}
	opts := options(t, pkg, p)

	if _, missing := setup.CheckPackages(opts.ModelsDir, opts.Packages); !reflect.DeepEqual(missing, []string{"fake-converted", "fake-model"}) {
		t.Errorf("missing before Run = %q", missing)
	}
	must(t, setup.Run(context.Background(), opts))
	must(t, setup.Run(context.Background(), opts))
	if calls != 1 {
		t.Errorf("Convert calls = %d, want 1", calls)
	}
	if present, _ := setup.CheckPackages(opts.ModelsDir, opts.Packages); !reflect.DeepEqual(present, []string{"fake-converted", "fake-model"}) {
		t.Errorf("present after Run = %q", present)
	}

	// A Convert step whose output does not match its pin fails the run.
	pkg.Outputs[0].SHA256 = strings.Repeat("2", 64)
	opts.Packages = []setup.Package{pkg}
	if err := setup.Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "converted.onnx") {
		t.Errorf("Run with a wrong output pin: error = %v, want one naming the output", err)
	}
}

func TestCheckPackages(t *testing.T) {
	pkg, p := fixture(t)
	other := setup.Package{Name: "other", Version: "1.0.0", SHA256: strings.Repeat("3", 64), Files: []setup.File{
		{Model: "other-model", Src: "package/x", SHA256: strings.Repeat("4", 64), Dest: "other/x"},
	}}
	opts := options(t, pkg, p)
	must(t, setup.Run(context.Background(), opts))
	present, missing := setup.CheckPackages(opts.ModelsDir, []setup.Package{pkg, other})
	if !reflect.DeepEqual(present, []string{"fake-model"}) || !reflect.DeepEqual(missing, []string{"other-model"}) {
		t.Errorf("CheckPackages = %q, %q; want [fake-model], [other-model]", present, missing)
	}
	must(t, os.Remove(filepath.Join(opts.ModelsDir, "fake-model", "keys.txt")))
	present, missing = setup.CheckPackages(opts.ModelsDir, []setup.Package{pkg})
	if len(present) != 0 || !reflect.DeepEqual(missing, []string{"fake-model"}) {
		t.Errorf("CheckPackages with a file removed = %q, %q; want [], [fake-model]", present, missing)
	}
}

func TestDefaultManifest(t *testing.T) {
	present, missing := setup.Check(t.TempDir())
	want := []string{"blazeface", "nanodet", "nsfw-mobilenet-v2-mid", setup.ModelOCR, setup.ModelRuntime}
	if len(present) != 0 || !reflect.DeepEqual(missing, want) {
		t.Errorf("Check(empty dir) = %q, %q", present, missing)
	}
	// Default must be valid: a Run with a failing packer gets past
	// validation to the first fetch.
	errNoNetwork := errors.New("no network in this test")
	err := setup.Run(context.Background(), setup.Options{
		ModelsDir: t.TempDir(),
		CacheDir:  t.TempDir(),
		Pack:      func(context.Context, string, string) (string, error) { return "", errNoNetwork },
	})
	if !errors.Is(err, errNoNetwork) {
		t.Errorf("Run(Default) = %v, want the packer's error", err)
	}
	if got, want := setup.RuntimeLib("/m"), filepath.Join("/m", "onnxruntime", "libonnxruntime.so.1"); got != want {
		t.Errorf("RuntimeLib = %q, want %q", got, want)
	}
}

// TestNpmPack runs NpmPack against a fake npm on PATH, to pin the command
// line: no install scripts, no registry named, JSON output parsed.
func TestNpmPack(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script fake npm")
	}
	bin := t.TempDir()
	argsFile := filepath.Join(t.TempDir(), "args")
	script := `#!/bin/sh
printf '%s\n' "$@" > ` + argsFile + `
echo fake > "$4/fake-models-1.0.0.tgz"
echo '[{"filename":"fake-models-1.0.0.tgz","integrity":"x"}]'
`
	must(t, os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	dir := t.TempDir()
	path, err := setup.NpmPack(context.Background(), "@fake/models@1.0.0", dir)
	must(t, err)
	if want := filepath.Join(dir, "fake-models-1.0.0.tgz"); path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	args, err := os.ReadFile(argsFile)
	must(t, err)
	want := "pack\n@fake/models@1.0.0\n--pack-destination\n" + dir + "\n--ignore-scripts\n--json\n"
	if string(args) != want {
		t.Errorf("npm args = %q, want %q", args, want)
	}
	if strings.Contains(string(args), "registry") {
		t.Error("npm pack names a registry")
	}
}
