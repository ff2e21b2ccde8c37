// Package sqlstore implements every Clavis store interface once, over
// database/sql. An engine (internal/store/sqlite, internal/store/postgres)
// supplies what is its own: a Dialect for what differs between SQL engines,
// how statements reach the database, and its transaction policy.
//
// Statements are written once, with ? placeholders; the dialect rewrites
// them for engines that number their parameters. Times are stored as Unix
// microseconds, scope sets and endpoint lists as space-separated names.
package sqlstore
