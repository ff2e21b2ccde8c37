// Package listen keeps a server's listeners alive and bounded under abuse:
// Accept errors are retried, connections are capped in all and per client
// address, a new connection has a bounded time to show its protocol, and the
// requests net/http refuses on its own are answered in the API's shape.
package listen
