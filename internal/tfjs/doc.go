// Package tfjs reads TensorFlow.js graph models: model.json, its weight shards, and the dequantization of quantized weights.
package tfjs
