// Package onnxconv converts TF.js graph models to ONNX models, byte for byte deterministically.
package onnxconv
