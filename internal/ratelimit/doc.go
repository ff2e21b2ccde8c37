// Package ratelimit holds the request counters of rate limits that are not
// the database's: in memory for a single server, and in Redis for replicas.
package ratelimit
