package listen

import (
	"net/http"
	"time"
)

// BodyDeadline returns a handler that gives the body of each request d to
// arrive in full (d <= 0: no bound), then calls h. A body still arriving
// when the time runs out fails to read with an error that wraps
// os.ErrDeadlineExceeded, and the connection is closed after the answer.
//
// Requests without a body get no deadline: net/http reads their connection
// in the background from the start, to notice a client that goes away, and
// a deadline there would cancel the request's context while the handler
// works. (For a request with a body, net/http lifts the deadline itself
// when it starts that read, at the body's end.)
func BodyDeadline(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		h.ServeHTTP(w, r)
	})
}
