// Package builtin holds models computed in pure Go, without a model file.
package builtin
