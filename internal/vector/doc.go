// Package vector finds the stored vectors nearest a query, per space (an
// app's vectors made by one model version): exact search, the reference,
// and an approximate HNSW index kept in memory under a budget, built in the
// background from a Source and kept current by a change feed.
package vector
