// Package loadgen drives load and abuse against a running Clavis server,
// as a client only: mixed traffic from many concurrent clients, or one of
// the abuse modes, while it samples the server's resident memory.
package loadgen
