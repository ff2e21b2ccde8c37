// Package manifest lists the built-in models once, as plain data: their ids
// and descriptions, the pinned npm packages and files they come from, how
// they are converted, what runs them and which loader builds their runner.
// `clavis setup`, the converter, the inference packages and the server all
// read it; it imports only the standard library and package clavis.
package manifest
