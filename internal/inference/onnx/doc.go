// Package onnx runs ONNX models in-process with ONNX Runtime, loaded from the
// shared library `clavis setup` installs.
package onnx
