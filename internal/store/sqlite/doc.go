// Package sqlite implements the Clavis store on an embedded SQLite database,
// the default engine.
package sqlite
