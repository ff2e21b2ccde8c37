package manifest_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/inference/modeltest"
)

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		m        clavis.Model
		id, typ  string
		concepts int
	}{
		{manifest.GeneralImageRecognition.Describe(), "general-image-recognition", clavis.ModelTypeClassifier, 80},
		{manifest.GeneralImageDetection.Describe(), "general-image-detection", clavis.ModelTypeDetector, 80},
		{manifest.FaceDetection.Describe(), "face-detection", clavis.ModelTypeDetector, 1},
		{manifest.NSFWRecognition.Describe(), "nsfw-recognition", clavis.ModelTypeClassifier, 7},
	} {
		m := tt.m
		if m.ID != tt.id || m.OwnerID != "clarifai" || m.AppID != "main" || m.TypeID != tt.typ || m.Visibility != clavis.VisibilityPublic {
			t.Errorf("%s: id %q owner %q app %q type %q visibility %v", tt.id, m.ID, m.OwnerID, m.AppID, m.TypeID, m.Visibility)
		}
		if len(m.Concepts) != tt.concepts || len(m.Versions) != 1 || len(m.Versions[0].ID) != 32 || m.Description == "" {
			t.Errorf("%s: %d concepts, versions %+v", tt.id, len(m.Concepts), m.Versions)
		}
		for _, c := range m.Concepts {
			if c.ID == "" || strings.Contains(c.ID, " ") {
				t.Errorf("%s: concept id %q", tt.id, c.ID)
			}
		}
	}
}

func TestDescribeOCR(t *testing.T) {
	m := manifest.OCR.Describe()
	if m.ID != "ocr-scene-english-paddleocr" || m.TypeID != clavis.ModelTypeOCR || m.OwnerID != "clarifai" ||
		m.AppID != "main" || m.Visibility != clavis.VisibilityPublic || m.Name == "" {
		t.Errorf("Describe() = %+v", m)
	}
	if len(m.Versions) != 1 || m.Versions[0].ID != "acbc507abb5cc59a327138250d5b5bf3" || m.Versions[0].CreatedAt.IsZero() || m.CreatedAt.IsZero() {
		t.Errorf("versions %+v, created %v; want one fixed version and a creation date", m.Versions, m.CreatedAt)
	}
	for _, w := range []string{"bounding box", "text"} {
		if !strings.Contains(m.Description, w) {
			t.Errorf("description %q does not mention %q", m.Description, w)
		}
	}
	if !reflect.DeepEqual(m, manifest.OCR.Describe()) {
		t.Error("Describe is not stable")
	}
}

// TestDescribeCopies checks that a description shares no slice with the
// manifest, so that no caller can change the manifest through it.
func TestDescribeCopies(t *testing.T) {
	m := manifest.GeneralImageRecognition.Describe()
	m.Aliases[0], m.Versions[0].Aliases[0], m.Concepts[0].Name = "x", "x", "x"
	again := manifest.GeneralImageRecognition.Describe()
	if again.Aliases[0] == "x" || again.Versions[0].Aliases[0] == "x" || again.Concepts[0].Name == "x" {
		t.Fatal("changing a description changed the manifest")
	}
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestModels checks what every entry must hold: ids unique across models
// and aliases, a version naming its runtime and processing, a loader, and
// files exactly for the models that run in ONNX Runtime.
func TestModels(t *testing.T) {
	ids := map[string]bool{}
	for _, m := range manifest.Models {
		for _, id := range append([]string{m.ID}, m.Aliases...) {
			if ids[id] {
				t.Errorf("id %q is used twice", id)
			}
			ids[id] = true
		}
		v := m.Version
		if v.ID == "" || v.Description == "" || v.Preprocess == "" || v.Postprocess == "" || m.Loader == "" || m.CreatedAt.IsZero() {
			t.Errorf("%s: version %+v, loader %q, created %v: all are required", m.ID, v, m.Loader, m.CreatedAt)
		}
		switch v.Runtime {
		case clavis.RuntimeONNX:
			if m.Asset == nil {
				t.Errorf("%s runs in ONNX Runtime but has no files", m.ID)
			}
		case clavis.RuntimeGo:
			if m.Asset != nil {
				t.Errorf("%s runs in Go but has files", m.ID)
			}
		default:
			t.Errorf("%s: unknown runtime %q", m.ID, v.Runtime)
		}
		if d := m.Describe(); d.Versions[0].Runtime != v.Runtime || d.Versions[0].Preprocess != v.Preprocess || d.Versions[0].Postprocess != v.Postprocess {
			t.Errorf("%s: Describe drops the runtime or processing: %+v", m.ID, d.Versions[0])
		}
	}
}

// TestAssets checks that files are pinned, land inside the models dir,
// never collide, and that a package is pinned the same way wherever it is
// named; a conversion reads files of its own asset.
func TestAssets(t *testing.T) {
	assets := manifest.Assets()
	if assets[0] != manifest.ONNXRuntime {
		t.Errorf("Assets()[0] = %s, want the ONNX Runtime", assets[0].Name)
	}
	names, dests := map[string]bool{}, map[string]string{}
	pkgs := map[string]manifest.Package{}
	for _, a := range assets {
		if names[a.Name] {
			t.Errorf("asset %s listed twice", a.Name)
		}
		names[a.Name] = true
		if len(a.Files) == 0 {
			t.Errorf("asset %s has no files", a.Name)
		}
		for _, f := range a.Files {
			if !hexDigest.MatchString(f.SHA256) || !hexDigest.MatchString(f.Package.SHA256) || f.Src == "" || f.Package.Version == "" {
				t.Errorf("%s: file %+v is not pinned", a.Name, f)
			}
			if p, ok := pkgs[f.Package.Name]; ok && p != f.Package {
				t.Errorf("package %s pinned as %+v and %+v", f.Package.Name, p, f.Package)
			}
			pkgs[f.Package.Name] = f.Package
		}
		for _, d := range a.Paths() {
			if !filepath.IsLocal(filepath.FromSlash(d)) || strings.Contains(d, `\`) {
				t.Errorf("%s: %s is not inside the models dir", a.Name, d)
			}
			if other, ok := dests[d]; ok {
				t.Errorf("%s: %s is also a file of %s", a.Name, d, other)
			}
			dests[d] = a.Name
		}
		if c := a.Convert; c != nil {
			if !hexDigest.MatchString(c.SHA256) || !strings.HasPrefix(c.Dest, a.Name+"/") {
				t.Errorf("%s: conversion %+v: want a pinned digest and a model in %s/", a.Name, c, a.Name)
			}
			reads := slices.ContainsFunc(a.Files, func(f manifest.File) bool {
				return f.Dest == c.Source || c.JSBundle && strings.HasPrefix(f.Dest, c.Source+"/")
			})
			if !reads {
				t.Errorf("%s: conversion source %s is none of the asset's files", a.Name, c.Source)
			}
		}
	}
	for _, m := range manifest.Models {
		if m.Asset != nil && !names[m.Asset.Name] {
			t.Errorf("%s: asset %s is not in Assets()", m.ID, m.Asset.Name)
		}
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	a := manifest.PaddleOCR
	if got := a.Missing(dir); len(got) != len(a.Files) || got[0] != manifest.Path(dir, manifest.OCRDetector.Dest) {
		t.Errorf("Missing(empty dir) = %q", got)
	}
	modeltest.Touch(t, dir, a)
	if got := a.Missing(dir); got != nil {
		t.Errorf("Missing(complete dir) = %q", got)
	}
	// A directory where a file belongs is missing too.
	keys := manifest.Path(dir, manifest.OCRKeys.Dest)
	if err := os.Remove(keys); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := a.Missing(dir); !reflect.DeepEqual(got, []string{keys}) {
		t.Errorf("Missing with a directory for a file = %q", got)
	}
	if got, want := manifest.ONNXRuntimeLibrary("/m"), filepath.Join("/m", "onnxruntime", "libonnxruntime.so.1"); got != want {
		t.Errorf("ONNXRuntimeLibrary = %q, want %q", got, want)
	}
}
