package gateway

// The HTTP statuses and JSON status bodies of REST answers and refusals.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
	"github.com/clavis-dev/clavis/internal/reqid"
)

// HTTPStatus is the HTTP status that goes with a Clarifai status code.
func HTTPStatus(code st.StatusCode) int {
	switch code {
	case st.StatusCode_SUCCESS, st.StatusCode_MIXED_STATUS, st.StatusCode_ZERO:
		return http.StatusOK
	case st.StatusCode_CONN_KEY_INVALID:
		return http.StatusUnauthorized
	case st.StatusCode_CONN_INSUFFICIENT_SCOPES:
		return http.StatusForbidden
	case st.StatusCode_CONN_DOES_NOT_EXIST, st.StatusCode_MODEL_DOES_NOT_EXIST:
		return http.StatusNotFound
	case st.StatusCode_CONN_METHOD_NOT_ALLOWED:
		return http.StatusMethodNotAllowed
	case st.StatusCode_DATABASE_DUPLICATE_KEY:
		return http.StatusConflict
	case st.StatusCode_INPUT_OVER_LIMIT, st.StatusCode_RPC_MAX_MESSAGE_SIZE_EXCEEDED:
		return http.StatusRequestEntityTooLarge
	case st.StatusCode_MODEL_BUSY_PLEASE_RETRY, st.StatusCode_RPC_REQUEST_QUEUE_FULL:
		return http.StatusTooManyRequests
	case st.StatusCode_NOT_IMPLEMENTED:
		return http.StatusNotImplemented
	case st.StatusCode_CONN_BAD_REQUEST_FORMAT, st.StatusCode_CONN_INVALID_REQUEST,
		st.StatusCode_INPUT_INVALID_ARGUMENT, st.StatusCode_INPUT_INVALID_URL,
		st.StatusCode_ALL_INPUT_INVALID_BYTES, st.StatusCode_MODEL_INVALID_ARGUMENT,
		st.StatusCode_PREDICT_INVALID_REQUEST, st.StatusCode_INPUT_DOWNLOAD_FAILED:
		// INPUT_DOWNLOAD_FAILED (30002): the caller's URL could not be
		// fetched, a problem with the request rather than the server.
		return http.StatusBadRequest
	case st.StatusCode_ACCEPTED:
		return http.StatusAccepted
	case st.StatusCode_CONN_TOKEN_INVALID, st.StatusCode_CONN_CREDENTIALS_INVALID, st.StatusCode_CONN_KEY_NOT_FOUND:
		return http.StatusUnauthorized
	case st.StatusCode_CONN_EXCEED_HOURLY_LIMIT, st.StatusCode_CONN_EXCEED_MONTHLY_LIMIT, st.StatusCode_CONN_THROTTLED, st.StatusCode_CONN_EXCEEDS_LIMITS:
		return http.StatusTooManyRequests
	case st.StatusCode_TRY_AGAIN, st.StatusCode_MODEL_DEPLOYING, st.StatusCode_MODEL_NOT_DEPLOYED, st.StatusCode_MODEL_LOADING,
		st.StatusCode_RPC_SERVER_UNAVAILABLE, st.StatusCode_RPC_REQUEST_TIMEOUT, st.StatusCode_INTERNAL_DATABASE_ISSUE:
		// INTERNAL_DATABASE_ISSUE (98006): storage full or read-only.
		return http.StatusServiceUnavailable
	}
	// By family: a whole request that failed (10020), and connection (11xxx),
	// model (21xxx), input (30xxx–39xxx) and request-format (40xxx) codes are
	// the caller's to fix; the rest are the server's.
	switch c := int(code); {
	case c == int(st.StatusCode_FAILURE), c >= 11000 && c < 12000, c >= 21000 && c < 22000 && c != int(st.StatusCode_MODEL_PREDICTION_FAILED),
		c >= 30000 && c < 40000, c >= 40000 && c < 41000:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// httpStatus returns the forward-response option that sets the HTTP status
// from the response's in-band status. A response whose gRPC headers carry
// challengeHeader is a refusal for want of credentials: HTTP answers it
// 401 with the header's value as the challenge. The value of userHeader
// goes to the access log.
func httpStatus(cfg Config) func(context.Context, http.ResponseWriter, proto.Message) error {
	challengeHeader, userHeader := cfg.ChallengeHeader, cfg.UserHeader
	return func(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
		rec := recorderOf(w)
		md, hasMD := runtime.ServerMetadataFromContext(ctx)
		if rec != nil {
			rec.noteCall(ctx)
			if v := md.HeaderMD.Get(userHeader); hasMD && userHeader != "" && len(v) > 0 {
				rec.user = v[0]
			}
		}
		r := m.ProtoReflect()
		f := r.Descriptor().Fields().ByName("status")
		if f == nil || f.Message() == nil || !r.Has(f) {
			return nil
		}
		s, ok := r.Get(f).Message().Interface().(*st.Status)
		if !ok {
			return nil
		}
		if rec != nil {
			rec.noteAnswer(s.GetCode(), s.GetReqId())
		}
		code := HTTPStatus(s.GetCode())
		if hasMD && challengeHeader != "" {
			if v := md.HeaderMD.Get(challengeHeader); len(v) > 0 {
				w.Header().Set("WWW-Authenticate", v[0])
				code = http.StatusUnauthorized
			}
		}
		if hasMD && cfg.RetryAfterHeader != "" {
			if v := md.HeaderMD.Get(cfg.RetryAfterHeader); len(v) == 1 {
				w.Header().Set("Retry-After", v[0])
			}
		}
		if hasMD && cfg.HTTPStatusHeader != "" && code == http.StatusOK {
			if v := md.HeaderMD.Get(cfg.HTTPStatusHeader); len(v) == 1 {
				if c, err := strconv.Atoi(v[0]); err == nil && c >= 200 && c < 300 {
					code = c
				}
			}
		}
		if code != http.StatusOK {
			w.WriteHeader(code)
		}
		return nil
	}
}

// writeStatus writes a gateway-level error: {"status":{…}} with a new req_id.
func writeStatus(w http.ResponseWriter, httpCode int, code st.StatusCode, desc, details string) {
	h := w.Header()
	h.Del("Grpc-Metadata-Content-Type")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	id := reqid.New()
	if rec := recorderOf(w); rec != nil {
		rec.noteAnswer(code, id)
	}
	w.WriteHeader(httpCode)
	w.Write(statusBodyID(code, desc, details, id))
}

// statusBody returns the JSON of a gateway-level error, with a new req_id.
func statusBody(code st.StatusCode, desc, details string) []byte {
	return statusBodyID(code, desc, details, reqid.New())
}

func statusBodyID(code st.StatusCode, desc, details, id string) []byte {
	body, err := statusJSON.Marshal(&st.BaseResponse{Status: &st.Status{
		Code: code, Description: desc, Details: redactText(details), ReqId: id,
	}})
	if err != nil {
		body = []byte(`{"status":{"code":98004,"description":"Internal server error"}}`)
	}
	return append(body, '\n')
}

// writeBodyFailure answers a request whose body went over MaxBodySize or
// did not arrive in time, and reports whether it was one.
func writeBodyFailure(w http.ResponseWriter, r *http.Request) bool {
	bs, _ := r.Context().Value(bodyStateKey{}).(*bodyState)
	switch {
	case bs == nil:
		return false
	case bs.tooLarge:
		writeTooLarge(w)
	case bs.timedOut:
		writeStatus(w, http.StatusRequestTimeout, st.StatusCode_RPC_REQUEST_TIMEOUT, "Request timed out",
			"the request body did not arrive in full within the server's body timeout")
	case bs.queueFull:
		writeQueueFull(w, 0)
	default:
		return false
	}
	return true
}

// writeQueueFull answers a request whose body the budget of bodies in
// flight, of max bytes (0: not said), could not hold.
func writeQueueFull(w http.ResponseWriter, max int64) {
	details := "the server is holding its limit of request bodies at once; retry later"
	if max > 0 {
		details = queueFullDetails(max)
	}
	writeStatus(w, HTTPStatus(st.StatusCode_RPC_REQUEST_QUEUE_FULL), st.StatusCode_RPC_REQUEST_QUEUE_FULL, "Request queue full", details)
}

func writeTooLarge(w http.ResponseWriter) {
	writeStatus(w, http.StatusRequestEntityTooLarge, st.StatusCode_RPC_MAX_MESSAGE_SIZE_EXCEEDED, "Request too large",
		fmt.Sprintf("the request body is over %d bytes", MaxBodySize))
}

// errorHandler answers errors that never reached the service or came back
// as gRPC errors: undecodable bodies and queries, oversized messages,
// methods Clavis does not serve.
func errorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if rec := recorderOf(w); rec != nil {
		rec.noteCall(ctx)
	}
	if writeBodyFailure(w, r) {
		return
	}
	var hse *runtime.HTTPStatusError
	if errors.As(err, &hse) {
		writeStatus(w, http.StatusBadRequest, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format", hse.Err.Error())
		return
	}
	s := status.Convert(err)
	switch s.Code() {
	case codes.InvalidArgument:
		if strings.Contains(s.Message(), "invalid value for bytes field") {
			// protojson's words for a bytes field whose JSON is not base64.
			// All of Clarifai's bytes fields carry input data (image.base64,
			// …): bytes that cannot be decoded.
			writeStatus(w, http.StatusBadRequest, st.StatusCode_ALL_INPUT_INVALID_BYTES, "Invalid image bytes",
				s.Message()+"; bytes fields take a base64 string")
			return
		}
		writeStatus(w, http.StatusBadRequest, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format", s.Message())
	case codes.ResourceExhausted:
		writeStatus(w, http.StatusRequestEntityTooLarge, st.StatusCode_RPC_MAX_MESSAGE_SIZE_EXCEEDED, "Request too large", s.Message())
	case codes.Unimplemented:
		writeStatus(w, http.StatusNotImplemented, st.StatusCode_NOT_IMPLEMENTED, "Not implemented", s.Message())
	case codes.NotFound:
		writeStatus(w, http.StatusNotFound, st.StatusCode_CONN_DOES_NOT_EXIST, "Resource does not exist", s.Message())
	case codes.Unauthenticated:
		writeStatus(w, http.StatusUnauthorized, st.StatusCode_CONN_KEY_INVALID, "Invalid API key or Invalid API key/application pair", "")
	case codes.PermissionDenied:
		writeStatus(w, http.StatusForbidden, st.StatusCode_CONN_INSUFFICIENT_SCOPES, "Insufficient scopes", s.Message())
	case codes.Canceled:
		writeStatus(w, 499, st.StatusCode_INTERNAL_SERVER_ISSUE, "Request canceled", "")
	case codes.DeadlineExceeded:
		writeStatus(w, http.StatusGatewayTimeout, st.StatusCode_INTERNAL_SERVER_ISSUE, "Deadline exceeded", "")
	case codes.Unavailable:
		writeStatus(w, http.StatusServiceUnavailable, st.StatusCode_INTERNAL_SERVER_ISSUE, "Service unavailable", "")
	default:
		writeStatus(w, http.StatusInternalServerError, st.StatusCode_INTERNAL_SERVER_ISSUE, "Internal server error", "")
	}
}

// routingErrorHandler answers requests that match no route.
func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusNotFound:
		writeStatus(w, http.StatusNotFound, st.StatusCode_CONN_DOES_NOT_EXIST, "Resource does not exist",
			"no REST route for "+r.Method+" "+RedactPath(r.URL.Path))
	case http.StatusMethodNotAllowed:
		writeStatus(w, http.StatusMethodNotAllowed, st.StatusCode_CONN_METHOD_NOT_ALLOWED, "Method not allowed",
			"method "+r.Method+" is not allowed on "+RedactPath(r.URL.Path))
	case http.StatusBadRequest:
		writeStatus(w, http.StatusBadRequest, st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format", "malformed path")
	default:
		writeStatus(w, httpStatus, st.StatusCode_INTERNAL_SERVER_ISSUE, http.StatusText(httpStatus), "")
	}
}
