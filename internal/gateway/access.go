package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/peer"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// Every REST request is logged once, by the gateway, in one line: what
// HTTP saw (method, path with tokens redacted, route template, status,
// time) and what the call came to (the gRPC method it reached, the in-band
// code, the req_id of the answer, the user). The in-process gRPC call
// behind it writes no line of its own (see Relayed): its user comes back in
// a response header that Config.UserHeader names, which never reaches the
// client.

// recorder is the ResponseWriter of one request: it passes everything
// through, and records what the access log and the metrics need.
type recorder struct {
	http.ResponseWriter
	code  int // HTTP status written
	wrote bool

	route string        // path template of the route taken; "" for none
	rpc   string        // gRPC method called, e.g. /clarifai.api.V2/GetModel
	inb   st.StatusCode // in-band code answered, when known
	hasIn bool          // inb is set
	reqID string        // req_id of the answer
	user  string        // the caller, when authenticated
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		r.wrote = true
		f.Flush()
	}
}

// noteAnswer records the in-band status of the answer.
func (r *recorder) noteAnswer(code st.StatusCode, reqID string) {
	r.inb, r.hasIn, r.reqID = code, true, reqID
}

// noteCall records what the grpc-gateway mux put in ctx of the route it
// took and the method it called.
func (r *recorder) noteCall(ctx context.Context) {
	if p, ok := runtime.HTTPPathPattern(ctx); ok {
		r.route = p
	}
	if m, ok := runtime.RPCMethod(ctx); ok {
		r.rpc = m
	}
}

// recorderOf returns the recorder under w, or nil.
func recorderOf(w http.ResponseWriter) *recorder {
	for {
		switch v := w.(type) {
		case *recorder:
			return v
		case interface{ Unwrap() http.ResponseWriter }:
			w = v.Unwrap()
		default:
			return nil
		}
	}
}

// accessLog writes the one line of each request and reports it to the
// metrics.
type accessLog struct {
	log     *slog.Logger
	observe func(method, route string, status int, took time.Duration) // may be nil
}

// serve calls next with a recorder in front of w, then logs the request;
// route is the path template of the request's route, when known already.
// A panic of next is logged and answered 500 when nothing was written yet.
func (a accessLog) serve(w http.ResponseWriter, r *http.Request, route string, next func(http.ResponseWriter, *http.Request)) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, code: http.StatusOK, route: route}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.log.Error("HTTP handler panic", "method", r.Method, "path", RedactPath(r.URL.Path), "panic", fmt.Sprint(p))
			if !rec.wrote {
				writeStatus(rec, http.StatusInternalServerError, st.StatusCode_INTERNAL_SERVER_ISSUE, "Internal server error", "")
			}
		}
		a.logRequest(r, rec, time.Since(start))
	}()
	next(rec, r)
}

// Access returns h, a handler of one of the server's other HTTP endpoints
// (health, metrics), with its requests logged and reported as the
// gateway's are: one line each, under route, the endpoint's path. log nil
// discards the lines; observe may be nil.
func Access(h http.Handler, route string, log *slog.Logger, observe func(method, route string, status int, took time.Duration)) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := accessLog{log, observe}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.serve(w, r, route, h.ServeHTTP) })
}

// logRequest writes the request's access line and reports it.
func (a accessLog) logRequest(r *http.Request, rec *recorder, took time.Duration) {
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", RedactPath(r.URL.Path)))
	if rec.route != "" {
		attrs = append(attrs, slog.String("route", rec.route))
	}
	attrs = append(attrs, slog.Int("status", rec.code))
	if rec.rpc != "" {
		attrs = append(attrs, slog.String("rpc", rec.rpc))
	}
	if rec.hasIn {
		attrs = append(attrs, slog.Int("code", int(rec.inb)))
	}
	if rec.reqID != "" {
		attrs = append(attrs, slog.String("req_id", rec.reqID))
	}
	if rec.user != "" {
		attrs = append(attrs, slog.String("user", rec.user))
	}
	attrs = append(attrs, slog.Duration("took", took))
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "http", attrs...)
	if a.observe != nil {
		a.observe(r.Method, rec.route, rec.code, took)
	}
}

// Relayed reports whether a gRPC call came from the gateway, in process
// (Local) or over its in-process connection: a REST or gRPC-Web request,
// which the gateway logs itself. The server's
// interceptors use it to write no second line for the request.
func Relayed(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	return ok && p.Addr == pipeAddr{}
}
