package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

// Cookies. Over TLS they carry the __Host- prefix, which browsers accept
// only for cookies that are Secure, for the whole site and of this host
// alone; over plain HTTP (a loopback address) they cannot, and go without.
const (
	sessionCookieName = "clavis-session"
	// preCookieName holds a visitor's random secret, to which the
	// anti-forgery tokens of the log-in and sign-up forms are tied.
	preCookieName = "clavis-pre"
)

func cookieName(r *http.Request, name string) string {
	if r.TLS != nil {
		return "__Host-" + name
	}
	return name
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(r, name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: sameSite,
	})
}

func readCookie(r *http.Request, name string) string {
	c, err := r.Cookie(cookieName(r, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// SessionPrincipal returns the caller of a request that carries a live
// portal session, as the portal's own pages see it, or nil. Other handlers
// of the site (the hosted images of inputs) use it to let the portal's
// pages show what the session may see.
func (h *Handler) SessionPrincipal(r *http.Request) *clavis.Principal {
	id := sessionCookie(r)
	if id == "" {
		return nil
	}
	_, u, err := h.svc.Session(r.Context(), id)
	if err != nil {
		return nil
	}
	return auth.SessionPrincipal(u)
}

// sessionCookie returns the session id the browser sent, or "".
func sessionCookie(r *http.Request) string { return readCookie(r, sessionCookieName) }

// setSessionCookie gives the browser its session id. Lax, not Strict, so
// that following a link to the portal from elsewhere finds the user signed
// in; cross-site POSTs carry no cookie either way.
func setSessionCookie(w http.ResponseWriter, r *http.Request, ns *service.NewSession) {
	setCookie(w, r, sessionCookieName, ns.ID, int(service.SessionLifetime.Seconds()), http.SameSiteLaxMode)
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	setCookie(w, r, sessionCookieName, "", -1, http.SameSiteLaxMode)
}

// csrfSecret returns the secret the request's anti-forgery token is tied
// to: the session id when signed in, else the visitor's pre-session
// secret, which it creates (and sets) when create is true.
func (rq *request) csrfSecret(create bool) string {
	if rq.sessionID != "" {
		return rq.sessionID
	}
	if s := readCookie(rq.r, preCookieName); auth.ValidSessionID(s) {
		return s
	}
	if !create {
		return ""
	}
	var b [32]byte
	rand.Read(b[:])
	s := base64.RawURLEncoding.EncodeToString(b[:])
	setCookie(rq.w, rq.r, preCookieName, s, 0, http.SameSiteStrictMode)
	// Later reads in this request see it too.
	rq.r.AddCookie(&http.Cookie{Name: cookieName(rq.r, preCookieName), Value: s})
	return s
}

// csrfToken returns the anti-forgery token for the forms of a page.
func (rq *request) csrfToken() string { return auth.CSRFToken(rq.csrfSecret(true)) }

// csrfOK reports whether a POST carries the token of its secret.
func (rq *request) csrfOK() bool {
	return auth.CheckCSRF(rq.csrfSecret(false), rq.r.PostForm.Get("csrf"))
}
