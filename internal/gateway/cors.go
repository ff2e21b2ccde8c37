package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	st "github.com/clavis-dev/clavis/api/gen/clarifai/api/status"
)

// Cross-origin resource sharing, for web pages on other origins that call
// the API, REST or gRPC-Web, from a browser. Only the origins configured
// may; there are none by default. Credentials travel only in the
// Authorization header, which pages set themselves: never in cookies, so
// answers never allow credentials (no Access-Control-Allow-Credentials),
// and the portal's session cookie is worth nothing to another origin. The
// portal itself is same-origin, and outside this.

// CORS answers: what a page may send and read.
const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	// corsHeaders are the request headers a page may set: the credential,
	// the body's type, and what gRPC-Web clients send.
	corsHeaders = "Authorization, Content-Type, Grpc-Timeout, X-Grpc-Web, X-User-Agent"
	// corsExpose are the answer headers a page may read beyond the simple
	// ones: gRPC-Web's status, which a failed call carries in its headers,
	// and the challenge of a 401.
	corsExpose = "Grpc-Status, Grpc-Message, WWW-Authenticate"
	// corsMaxAge is how long, in seconds, browsers may keep a preflight's
	// answer.
	corsMaxAge = "600"
)

// cors is the allowlist of origins.
type cors struct{ origins map[string]bool }

// newCORS checks and normalizes the allowed origins: each is an http or
// https origin, scheme://host[:port], as browsers send it in Origin.
func newCORS(origins []string) (*cors, error) {
	c := &cors{origins: map[string]bool{}}
	for _, o := range origins {
		n, err := normalOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("CORS origin %q: %w", o, err)
		}
		c.origins[n] = true
	}
	return c, nil
}

// normalOrigin returns an origin as browsers write it: lower-case scheme
// and host, no default port, nothing after the authority.
func normalOrigin(o string) (string, error) {
	if o == "*" || o == "null" {
		return "", fmt.Errorf("name each origin: %q would let every page call the API with its visitors' tokens", o)
	}
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	switch {
	case err != nil:
		return "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("want http://host[:port] or https://host[:port]")
	case u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("want scheme://host[:port] and nothing else, as browsers send in Origin")
	}
	host := strings.ToLower(u.Host)
	if h, p, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") &&
		(u.Scheme == "http" && p == "80" || u.Scheme == "https" && p == "443") {
		host = h
	}
	return u.Scheme + "://" + host, nil
}

func (c *cors) allowed(origin string) bool {
	if len(c.origins) == 0 || origin == "" {
		return false
	}
	n, err := normalOrigin(origin)
	return err == nil && c.origins[n]
}

// serveCORS answers preflights and marks the answers of allowed origins,
// then serves the request, gRPC-Web or REST, with a.
func (h *handler) serveCORS(w http.ResponseWriter, r *http.Request, a *admission) {
	hd := w.Header()
	hd.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	ok := h.cors.allowed(origin)
	if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		hd.Add("Vary", "Access-Control-Request-Method")
		hd.Add("Vary", "Access-Control-Request-Headers")
		if !ok {
			writeStatus(w, http.StatusForbidden, st.StatusCode_CONN_INVALID_REQUEST, "Origin not allowed",
				"this server does not let pages of "+origin+" call its API; its operator allows origins with --cors-origin")
			return
		}
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Allow-Methods", corsMethods)
		hd.Set("Access-Control-Allow-Headers", corsHeaders)
		hd.Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if ok {
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Expose-Headers", corsExpose)
	}
	if IsGRPCWeb(r) {
		h.serveGRPCWeb(w, r, a)
		return
	}
	h.serve(w, r, a)
}
