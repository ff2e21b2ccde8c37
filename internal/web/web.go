package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/clientaddr"
	"github.com/clavis-dev/clavis/internal/service"
)

// Config wires a Handler.
type Config struct {
	Service    *service.Service
	Authorizer *auth.Authorizer
	Log        *slog.Logger // nil = discard
	// Signup lets visitors create accounts; admins always can.
	Signup bool
	// OpenAPI is the REST API's OpenAPI (Swagger 2.0) document, rendered as
	// the API reference page.
	OpenAPI []byte
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// HostedPath is where this site serves the images of inputs
	// (grpcapi.HostedPath): the inputs pages show them from there. ""
	// shows no images.
	HostedPath string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client's address, for the audit log; nil trusts none.
	TrustedProxies *clientaddr.Trusted
}

// Handler serves the portal. It is safe for concurrent use.
type Handler struct {
	svc    *service.Service
	authz  *auth.Authorizer
	log    *slog.Logger
	signup bool
	now    func() time.Time
	// proxies says whose X-Forwarded-For to believe; nil: no one's.
	proxies *clientaddr.Trusted
	// hostedPath is Config.HostedPath.
	hostedPath string
	pages      *pages
	ref        *apiReference
	mux        *http.ServeMux
}

// New returns the portal handler. It fails when the OpenAPI document cannot
// be read.
func New(cfg Config) (*Handler, error) {
	h := &Handler{svc: cfg.Service, authz: cfg.Authorizer, log: cfg.Log, signup: cfg.Signup, now: cfg.Now, hostedPath: cfg.HostedPath, proxies: cfg.TrustedProxies, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	var err error
	if h.pages, err = loadPages(); err != nil {
		return nil, err
	}
	if h.ref, err = newAPIReference(cfg.OpenAPI); err != nil {
		return nil, fmt.Errorf("API reference: %w", err)
	}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, h.handle(rt))
	}
	h.mux.Handle("GET /static/", staticHandler())
	h.mux.Handle("GET /favicon.ico", faviconHandler())
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rq := h.request(w, r)
		h.fail(rq, clavis.Errorf(clavis.ENotFound, "there is no page at this address"))
	})
	return h, nil
}

// ServeHTTP serves a portal request: security headers on every answer, one
// log line per request naming its route (never its query or body).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	rec := &recorder{ResponseWriter: w}
	setSecurityHeaders(rec.Header())
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("portal panic", "route", r.Pattern, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if rec.code == 0 {
				http.Error(rec, "Internal server error", http.StatusInternalServerError)
			}
		}
		route, code := r.Pattern, rec.code
		if route == "" {
			route = "(none)"
		}
		if code == 0 {
			code = http.StatusOK // written implicitly by the first Write
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "portal",
			slog.String("method", r.Method), slog.String("route", route), slog.String("user", rec.user),
			slog.Int("status", code), slog.Duration("took", h.now().Sub(start)))
	}()
	h.mux.ServeHTTP(rec, r)
}

// setSecurityHeaders sets the headers every portal answer carries: no
// script but the server's own files, no framing, no referrer beyond the
// origin, no sniffing.
func setSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// recorder remembers the status and user of an answer, for the log line.
type recorder struct {
	http.ResponseWriter
	code int // 0 until a header is written
	user string
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// request is one portal request with what the portal knows of its caller.
type request struct {
	w http.ResponseWriter
	r *http.Request
	h *Handler

	sessionID string          // "" for visitors
	session   *clavis.Session // nil for visitors
	user      *clavis.User    // nil for visitors
	principal *clavis.Principal
	// acc is the outcome of authorizing the route's method.
	acc *auth.Access
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) *request {
	rq := &request{w: w, r: r, h: h}
	if id := sessionCookie(r); id != "" {
		se, u, err := h.svc.Session(r.Context(), id)
		switch {
		case err == nil:
			rq.sessionID, rq.session, rq.user, rq.principal = id, se, u, auth.SessionPrincipal(u)
			if rec, ok := w.(*recorder); ok {
				rec.user = u.ID
			}
		case clavis.ErrorCode(err) == clavis.EUnauthenticated:
			clearSessionCookie(w, r)
		default:
			h.log.Error("load session", "err", err.Error())
		}
	}
	return rq
}

// ctx is the request's context, carrying its origin for the audit log:
// the client's address and the signed-in user.
func (rq *request) ctx() context.Context {
	return service.WithOrigin(rq.r.Context(), &service.Origin{Addr: rq.h.clientAddress(rq.r), Principal: rq.principal})
}

// authorize applies the rule of method to the session's principal exactly
// as the API's interceptor does for a request naming, as user_app_id, the
// app of the route's path ({owner}/{app}) for app methods; as org_id (and
// user_id) the organization (and member) of the path ({org}, {user}) for
// organization methods; and the caller ("me") for the others.
func (rq *request) authorize(method string) (*auth.Access, error) {
	if r, ok := auth.Rules[method]; ok {
		switch r.Target {
		case auth.TargetApp:
			return rq.authorizeOn(method, rq.r.PathValue("owner"), rq.r.PathValue("app"))
		case auth.TargetOrg:
			return rq.authorizeOrg(method, rq.r.PathValue("org"), rq.r.PathValue("user"))
		}
	}
	return rq.authorizeOn(method, "", "")
}

// authorizeOn is authorize with the user_app_id given.
func (rq *request) authorizeOn(method, userID, appID string) (*auth.Access, error) {
	return rq.h.authz.Authorize(rq.ctx(), method, rq.principal, auth.Request{UserID: userID, AppID: appID})
}
