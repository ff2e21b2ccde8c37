package grpcapi

import (
	"context"
	"log/slog"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// statusCodes maps each domain code to its Clarifai status code and the
// generic description that goes with it. The specifics go in details.
var statusCodes = map[clavis.Code]struct {
	code st.StatusCode
	desc string
}{
	clavis.EInvalid:         {st.StatusCode_CONN_INVALID_REQUEST, "Invalid request"},
	clavis.ENoCredentials:   {st.StatusCode_CONN_INVALID_REQUEST, auth.NoCredentialsDescription},
	clavis.EUnauthenticated: {st.StatusCode_CONN_KEY_INVALID, auth.InvalidKeyDescription},
	clavis.EForbidden:       {st.StatusCode_CONN_INSUFFICIENT_SCOPES, "Insufficient scopes"},
	clavis.ENotFound:        {st.StatusCode_CONN_DOES_NOT_EXIST, "Resource does not exist"},
	clavis.EModelNotFound:   {st.StatusCode_MODEL_DOES_NOT_EXIST, "Model does not exist"},
	clavis.EConflict:        {st.StatusCode_DATABASE_DUPLICATE_KEY, "Id already exists"},
	clavis.EInputInvalid:    {st.StatusCode_INPUT_INVALID_ARGUMENT, "Invalid input argument"},
	clavis.EInputBytes:      {st.StatusCode_ALL_INPUT_INVALID_BYTES, "Invalid image bytes"},
	clavis.EInputURL:        {st.StatusCode_INPUT_INVALID_URL, "Invalid input URL"},
	clavis.EInputDownload:   {st.StatusCode_INPUT_DOWNLOAD_FAILED, "Input download failed"},
	clavis.EInputTooLarge:   {st.StatusCode_INPUT_OVER_LIMIT, "Input over limit"},
	clavis.EBusy:            {st.StatusCode_MODEL_BUSY_PLEASE_RETRY, "Busy, please retry"},
	clavis.ENotImplemented:  {st.StatusCode_NOT_IMPLEMENTED, "Not implemented"},
	clavis.EPredictFailed:   {st.StatusCode_MODEL_PREDICTION_FAILED, "Prediction failed"},
	clavis.EInternal:        {st.StatusCode_INTERNAL_SERVER_ISSUE, "Internal server error"},
	clavis.EBadFormat:       {st.StatusCode_CONN_BAD_REQUEST_FORMAT, "Bad request format"},
	clavis.EInputDuplicate:  {st.StatusCode_INPUT_DUPLICATE, "Input duplicate"},
	clavis.EUnsupported:     {st.StatusCode_INPUT_UNSUPPORTED_FORMAT, "Input unsupported format"},
	clavis.ELimit:           {st.StatusCode_CONN_EXCEEDS_LIMITS, "Exceeds limits"},
	clavis.EThrottled:       {st.StatusCode_CONN_THROTTLED, "Making too many requests"},
	// Storage full or read-only: the details say which; REST answers 503.
	clavis.EStorage: {st.StatusCode_INTERNAL_DATABASE_ISSUE, "Storage unavailable"},
	// A service the request depends on (the shared rate limit counter) is
	// unreachable, so the request is refused; REST answers 503.
	clavis.EUnavailable: {st.StatusCode_RPC_SERVER_UNAVAILABLE, "Service unavailable"},

	// A model this server lists but cannot run: its files are not installed
	// (details name the models dir and the `clavis setup` command).
	clavis.EModelNotDeployed: {st.StatusCode_MODEL_NOT_DEPLOYED, "Model not deployed: it is not installed on this server; run clavis setup"},
}

// okStatus returns a success status.
func okStatus() *st.Status { return &st.Status{Code: st.StatusCode_SUCCESS, Description: "Ok"} }

// StatusOf returns the in-band status for err. Internal causes are not
// included: the chain's logging writes them to the log.
func StatusOf(err error) *st.Status {
	if err == nil {
		return okStatus()
	}
	c := statusCodes[clavis.ErrorCode(err)]
	return &st.Status{Code: c.code, Description: c.desc, Details: clavis.ErrorMessage(err)}
}

// statusOf returns the status of a response message, or nil when it has
// none.
func statusOf(resp any) *st.Status {
	// Every response of ours has the generated getter, which costs no
	// reflection (and is nil-safe).
	if g, ok := resp.(interface{ GetStatus() *st.Status }); ok {
		return g.GetStatus()
	}
	m, ok := resp.(proto.Message)
	if !ok {
		return nil
	}
	r := m.ProtoReflect()
	if !r.IsValid() {
		return nil
	}
	f := r.Descriptor().Fields().ByName("status")
	if f == nil || f.Message() == nil || !r.Has(f) {
		return nil
	}
	s, _ := r.Get(f).Message().Interface().(*st.Status)
	return s
}

// setStatus sets the status field of a response message.
func setStatus(m proto.Message, s *st.Status) {
	r := m.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName("status"), protoreflect.ValueOfMessage(s.ProtoReflect()))
}

// itemStatus returns the status of one item of a batch (an output of
// PostModelOutputs) for err, logging the cause of an internal failure with
// the call's request id: the call's own log line shows only its overall
// status.
func (s *Server) itemStatus(ctx context.Context, err error) *st.Status {
	if code := clavis.ErrorCode(err); code == clavis.EInternal || code == clavis.EPredictFailed || code == clavis.EStorage {
		s.log.LogAttrs(ctx, slog.LevelError, "item failed", slog.String("req_id", reqID(ctx)), slog.String("err", err.Error()))
	}
	return StatusOf(err)
}
