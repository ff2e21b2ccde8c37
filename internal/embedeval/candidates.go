package embedeval

import "github.com/clavis-dev/clavis/internal/inference/manifest"

// Candidate is an embedder made from a built-in model's TF.js source: the
// conversion that exports its features, and the preprocessing its images
// get (a name vision.NewEmbedder knows). Name is also the id of its golden
// file of TF.js outputs (testdata/golden/<name>.json).
type Candidate struct {
	Name       string
	Conversion manifest.Conversion
	Preprocess string
}

// Candidates are the embedders compared, all read from files `clavis
// setup` installs: first the one chosen, general-image-embedding's.
var Candidates = []Candidate{
	{
		Name:       manifest.MobileNetFeatures.Name,
		Conversion: *manifest.MobileNetFeatures.Convert,
		Preprocess: manifest.GeneralImageEmbedding.Version.Preprocess,
	},
	{
		Name:       "nanodet-backbone",
		Conversion: manifest.Conversion{Source: "tfjs/human-models/nanodet.json", Outputs: []string{"PartitionedCall/onnx_tf_prefix_Concat_62"}},
		Preprocess: "letterbox-416-bgr-meanstd",
	},
}
