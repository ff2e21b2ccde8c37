// Package postgres is the Clavis store on PostgreSQL, for several replicas
// sharing one database: opening, the pool, migrations under an advisory
// lock, serializable transactions retried on conflicts, the notifier that
// keeps the replicas' caches coherent, and Import from SQLite. The statements
// are sqlstore's.
package postgres
