package gateway

import st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"

// TransportRefusal returns the body that answers a request the HTTP server
// refused before any handler ran (a malformed request line, path escape or
// header, headers over the limit, plain HTTP on the TLS port), given the
// reason in words: the status of every other REST refusal, 11100
// CONN_BAD_REQUEST_FORMAT, with the reason as details and a new req_id.
func TransportRefusal(reason string) []byte {
	return statusBody(st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format", reason)
}
