// Package auth holds the token format (generation, checksums, digests), the
// authentication of tokens through a cache, the per-method authorization
// rules, and the one place where a caller's grant on an app is resolved.
package auth
