// Package postgres is the Clavis store on PostgreSQL, for several replicas
// sharing one database, with the notifier that keeps their caches coherent.
package postgres
