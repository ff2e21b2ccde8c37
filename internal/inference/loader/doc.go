// Package loader registers the built-in models of the manifest with an
// engine: it initialises ONNX Runtime, builds each model's runner with the
// loader the manifest names, and registers models whose files are missing
// as not deployed.
package loader
