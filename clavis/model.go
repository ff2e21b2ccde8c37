package clavis

import "time"

// Output types of models, as Clarifai names them in Model.model_type_id.
const (
	ModelTypeClassifier = "visual-classifier"
	ModelTypeDetector   = "visual-detector"
	ModelTypeOCR        = "text-recognition"
	ModelTypeColor      = "color-recognizer"
	ModelTypeEmbedder   = "visual-embedder"
)

// Runtimes a model version runs on, as ModelVersion.Runtime names them.
const (
	// RuntimeONNX runs an ONNX model in-process with ONNX Runtime.
	RuntimeONNX = "onnx"
	// RuntimeGo runs Go code compiled into the server; the version has no
	// model file.
	RuntimeGo = "go"
)

// Model describes a model that can be asked for predictions. Built-in models
// live in app clarifai/main.
type Model struct {
	ID          string
	Name        string
	OwnerID     string // user or organization owning the app
	AppID       string
	TypeID      string // one of the ModelType constants
	Description string // what the model returns, for GetModel and docs
	Visibility  Visibility
	Concepts    []Concept // the concepts the model may output, if it has a fixed list
	Versions    []ModelVersion
	CreatedAt   time.Time
	// Aliases are other ids the model answers to, such as the id Clarifai's
	// documentation and client tests use for the same kind of model.
	Aliases []string
	// NotDeployed, when not empty, says why this server cannot run the model
	// and how to fix that (for a built-in model whose files are not
	// installed). Such a model is still listed and described; predictions
	// with it fail with EModelNotDeployed and this message.
	NotDeployed string
	// Loading is set while the server loads the model, after it started
	// serving: predictions wait a little for the load, then fail with
	// EModelLoading.
	Loading bool
}

// Is reports whether id names the model, by its id or an alias.
func (m *Model) Is(id string) bool {
	if id == m.ID {
		return true
	}
	for _, a := range m.Aliases {
		if a == id {
			return true
		}
	}
	return false
}

// ModelVersion is one version of a model. Versions[0] of a Model is its
// current version, used when a request names none.
//
// A version names what runs it and how inputs and outputs are transformed,
// so that built-in models, uploaded models and remote runners share one
// shape: the runtime gets tensors made by Preprocess, and Postprocess turns
// the runtime's outputs into a Prediction.
type ModelVersion struct {
	ID          string
	Description string
	CreatedAt   time.Time
	// Aliases are other version ids this version answers to.
	Aliases []string
	// Runtime is what runs the version: RuntimeONNX or RuntimeGo.
	Runtime string
	// Preprocess names the transformation of an input image into the
	// runtime's input, e.g. "letterbox-416-bgr-meanstd".
	Preprocess string
	// Postprocess names the transformation of the runtime's outputs into a
	// Prediction, e.g. "nanodet-nms-regions".
	Postprocess string
}

// Is reports whether id names the version, by its id or an alias.
func (v *ModelVersion) Is(id string) bool {
	if id == v.ID {
		return true
	}
	for _, a := range v.Aliases {
		if a == id {
			return true
		}
	}
	return false
}

// Concept is a named label, with a score in predictions.
type Concept struct {
	ID    string
	Name  string
	Value float32
}

// BoundingBox holds a region's edges as fractions of the image's height and
// width, in [0, 1].
type BoundingBox struct {
	Top, Left, Bottom, Right float32
}

// Point is a location in an image, as fractions of its height (Row) and
// width (Col), in [0, 1].
type Point struct {
	Row, Col float32
}

// Region is a part of an image found by a model or drawn by a user: a box,
// or a polygon of at least three points.
type Region struct {
	ID       string
	Box      BoundingBox
	Polygon  []Point
	Value    float32
	Concepts []Concept
	Text     string // recognised text, for OCR regions
}

// Color is a dominant color of an image: its hex value, the nearest W3C named
// color, and the share of the image it covers.
type Color struct {
	Hex     string // "#rrggbb"
	W3CHex  string
	W3CName string
	Value   float32
}

// Embedding is a vector that places an input in a model's embedding space:
// inputs that look alike have vectors close together. Built-in embedders
// return vectors of unit length.
type Embedding struct {
	Vector []float32
}

// Prediction is what a model returns for one input.
type Prediction struct {
	Concepts   []Concept
	Regions    []Region
	Colors     []Color
	Embeddings []Embedding
}

// OutputConfig tunes a single prediction call. The zero value means the
// model's defaults.
type OutputConfig struct {
	MaxConcepts    int      // at most this many concepts; 0 = model default
	MinValue       float32  // drop concepts scoring below this
	SelectConcepts []string // keep only these concept ids or names, if any
}

// Input is one item of a prediction or an input to store. Exactly one of
// ImageBytes and ImageURL is set on a valid image input.
type Input struct {
	ID         string
	ImageBytes []byte
	ImageURL   string
	// Other names the kind of data the input carries instead of an image
	// ("video", "audio", "text"), which image models cannot take.
	Other string
}
