// Package reqid makes request ids: the req_id of every in-band status, and
// the key that ties a request's log line to its answer.
package reqid

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"
)

var fallback atomic.Uint64

// New returns a new request id: 24 hex digits, 96 random bits. Should the
// system's random source fail, it returns an id made of the time and a
// process-wide counter instead (prefixed "t"), unique within the process,
// so that no request goes without one. It is safe for concurrent use.
func New() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "t" + strconv.FormatInt(time.Now().UnixNano(), 16) + strconv.FormatUint(fallback.Add(1), 16)
	}
	return hex.EncodeToString(b[:])
}
