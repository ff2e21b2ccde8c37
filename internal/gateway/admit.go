package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/clavis-dev/clavis/clavis"
)

// Before the gateway reads any of a request's body, REST or gRPC-Web, it
// admits the request (admit, in this one place):
//
//   - A request whose credentials Config.Authenticate refuses is served
//     without its body: the server refuses it in-band for want of
//     credentials whatever the body holds, so nothing of it is buffered.
//     Once the answer is out and the request logged, the body is read into
//     nothing (ServeHTTP), bounded by its size limit and the server's body
//     timeout, so that a client still sending it reads its answer rather
//     than a reset connection.
//   - The body of any other request counts against one budget of body
//     bytes held at once across all requests (Config.BodyBudget): its
//     declared length before any of it is read, or its bytes as they arrive
//     when it declares none. A request the budget cannot hold is answered
//     40030 RPC_REQUEST_QUEUE_FULL, to be retried later; the bytes are
//     given back when the request is answered.

// DefaultBodyBudget is the budget of request-body bytes held at once when
// Config.BodyBudget is 0: twice the largest body.
const DefaultBodyBudget = 2 * MaxBodySize

// errQueueFull is what reading a body gives when the budget of bodies in
// flight cannot hold its next bytes.
var errQueueFull = errors.New("the server holds as many request bodies as it may at once")

// queueFullDetails says why a request was refused for the budget.
func queueFullDetails(budget int64) string {
	return fmt.Sprintf("the server is holding its limit of %d bytes of request bodies at once; retry later", budget)
}

// budget counts the body bytes the gateway holds across requests. It is
// safe for concurrent use.
type budget struct {
	max  int64
	used atomic.Int64
}

// take reserves n bytes and reports whether they fit.
func (b *budget) take(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *budget) give(n int64) { b.used.Add(-n) }

// admission is what one request holds of the server while it is served:
// its bytes of the budget, and the body it was served without.
type admission struct {
	budget *budget
	held   atomic.Int64
	// unread is the body of a request served without it, to be read into
	// nothing once answered; nil otherwise.
	unread io.ReadCloser
}

// hold takes n more bytes of the budget for the request.
func (a *admission) hold(n int64) bool {
	if !a.budget.take(n) {
		return false
	}
	a.held.Add(n)
	return true
}

// release gives back what the request held of the budget.
func (a *admission) release() { a.budget.give(a.held.Swap(0)) }

// admit decides what becomes of r's body before any of it is read, as the
// comment at the top of this file says; limit bounds the body's length. It
// returns errQueueFull when the budget cannot hold the body's declared
// length. On return r.Body is the body the handler may read: the request's,
// bounded by limit and counted against the budget, or none.
func (h *handler) admit(w http.ResponseWriter, r *http.Request, a *admission, limit int64) error {
	if !h.authorized(r) {
		a.unread = http.MaxBytesReader(w, r.Body, limit)
		r.Body, r.ContentLength = http.NoBody, 0
		// The answer may go out while the body is still arriving.
		http.NewResponseController(w).EnableFullDuplex()
		return nil
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength > 0 {
		if !a.hold(min(r.ContentLength, limit)) {
			// Refused, the body is read into nothing after the answer, as
			// for a refused credential: a client still sending it then
			// reads the answer instead of a reset connection.
			a.unread = body
			r.Body, r.ContentLength = http.NoBody, 0
			http.NewResponseController(w).EnableFullDuplex()
			return errQueueFull
		}
		r.Body = body
		return nil
	}
	r.Body = &countedBody{ReadCloser: body, a: a}
	return nil
}

// authorized reports whether a request's credentials pass the check that
// comes before its body is read; without one, all do. Only a refusal for
// want of credentials (no key, a malformed or unknown one) counts: a check
// that could not be made (the store failed) lets the request go on to the
// server, which decides.
func (h *handler) authorized(r *http.Request) bool {
	if h.authenticate == nil || slices.Contains(h.openPaths, r.URL.Path) {
		return true
	}
	var header string
	switch v := r.Header.Values("Authorization"); len(v) {
	case 0:
	case 1:
		header = v[0]
	default:
		return false
	}
	switch clavis.ErrorCode(h.authenticate(r.Context(), header, clientHost(r, h.proxies))) {
	case clavis.ENoCredentials, clavis.EUnauthenticated:
		return false
	}
	return true
}

// countedBody counts a body of no declared length against the budget as
// it arrives.
type countedBody struct {
	io.ReadCloser
	a *admission
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && !b.a.hold(int64(n)) {
		return 0, errQueueFull
	}
	return n, err
}
