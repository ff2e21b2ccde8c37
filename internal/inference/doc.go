// Package inference holds the model registry, the bounded worker pool that runs
// predictions, and the decoding of input images; runners live in sub-packages.
package inference
