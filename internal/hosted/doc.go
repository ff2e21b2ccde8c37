// Package hosted serves the images of stored inputs over HTTP, at the hosted
// URLs that inputs carry, to callers whose credential may get the input.
package hosted
