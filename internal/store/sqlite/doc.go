// Package sqlite is the Clavis store on an embedded SQLite database, the
// default engine: opening, the pool and its statement cache, migrations,
// transactions (one writer at a time) and online backups. The statements are
// sqlstore's.
package sqlite
