package hosted

import (
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/gateway"
	"github.com/clavis-dev/clavis/internal/grpcapi"
	"github.com/clavis-dev/clavis/internal/reqid"
	"github.com/clavis-dev/clavis/internal/service"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// rule is the authorization rule of a hosted image: that of GetInput.
const rule = "/clarifai.api.V2/GetInput"

// Handler serves GET (and HEAD) grpcapi.HostedPath/orig/users/{user_id}/apps/{app_id}/inputs/{input_id}:
// the stored image of the input, to a caller whose credential passes
// GetInput's rule on the app. A refusal is the JSON status REST answers,
// with the same HTTP status; a missing input and an invisible one get the
// same answer.
type Handler struct {
	// Authenticate returns the caller of a request, or EUnauthenticated or
	// ENoCredentials: FromHeader, with the portal's sessions.
	Authenticate func(r *http.Request) (*clavis.Principal, error)
	Authz        *auth.Authorizer
	Service      *service.Service
}

// FromHeader authenticates the Authorization header of a request, as the
// API does ("Key <token>"). Without the header, session, when not nil,
// may find the caller of a portal session.
func FromHeader(a *auth.Authenticator, session func(*http.Request) *clavis.Principal) func(*http.Request) (*clavis.Principal, error) {
	return func(r *http.Request) (*clavis.Principal, error) {
		if r.Header.Get("Authorization") == "" && session != nil {
			if p := session(r); p != nil {
				return p, nil
			}
		}
		return a.Authenticate(r.Context(), r.Header.Get("Authorization"))
	}
}

// ServeHTTP serves one hosted image.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		fail(w, clavis.Errorf(clavis.EInvalid, "hosted images answer GET and HEAD only"), http.StatusMethodNotAllowed)
		return
	}
	// orig/users/{user}/apps/{app}/inputs/{id}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, grpcapi.HostedPath+"/"), "/")
	if len(parts) != 7 || parts[1] != "users" || parts[3] != "apps" || parts[5] != "inputs" || parts[6] == "" {
		fail(w, clavis.Errorf(clavis.ENotFound, "no hosted image at %s: hosted URLs are %s/orig/users/{user_id}/apps/{app_id}/inputs/{input_id}", gateway.RedactPath(r.URL.Path), grpcapi.HostedPath), 0)
		return
	}
	if parts[0] != "orig" {
		fail(w, clavis.Errorf(clavis.ENotFound, "size %q is not hosted: Clavis hosts the original size, \"orig\"", parts[0]), 0)
		return
	}
	p, err := h.Authenticate(r)
	if err != nil {
		if code := clavis.ErrorCode(err); code == clavis.ENoCredentials || code == clavis.EUnauthenticated {
			w.Header().Set("WWW-Authenticate", `Key realm="clavis"`)
			fail(w, err, http.StatusUnauthorized)
			return
		}
		fail(w, err, 0)
		return
	}
	acc, err := h.Authz.Authorize(r.Context(), rule, p, auth.Request{UserID: parts[2], AppID: parts[4]})
	if err != nil {
		fail(w, err, 0)
		return
	}
	data, format, err := h.Service.InputImage(r.Context(), acc, parts[6])
	if err != nil {
		fail(w, err, 0)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/"+format)
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(data)
}

// fail writes the status of err as REST does; httpCode, when not 0,
// overrides the HTTP status that goes with it.
func fail(w http.ResponseWriter, err error, httpCode int) {
	s := grpcapi.StatusOf(err)
	s.ReqId = reqid.New()
	if httpCode == 0 {
		httpCode = gateway.HTTPStatus(s.GetCode())
	}
	body, merr := protojson.MarshalOptions{UseProtoNames: true, UseEnumNumbers: true}.Marshal(&st.BaseResponse{Status: s})
	if merr != nil {
		body = []byte(`{"status":{"code":98004,"description":"Internal server error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(httpCode)
	w.Write(append(body, '\n'))
}
