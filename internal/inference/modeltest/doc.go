// Package modeltest finds the models dir for tests that need real model
// files, and skips or fails them clearly when the files are missing.
package modeltest
