// Package embedeval measures how well image embedders find transformed
// copies of an image: a labelled set made at run time from test images by a
// committed recipe of transforms (crops, scales, flips, re-encodings, colour
// shifts), retrieval metrics over it, the embedding candidates the search
// issue compared, and a tiny-image baseline.
package embedeval
