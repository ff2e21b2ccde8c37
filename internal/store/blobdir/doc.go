// Package blobdir stores blob content as files in a directory, the blob
// store of the embedded (SQLite) setup.
package blobdir
