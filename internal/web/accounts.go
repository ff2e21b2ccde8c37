package web

import (
	"net"
	"net/http"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// landing is the front page: what this server is, for visitors; signed-in
// users go to their apps.
func (h *Handler) landing(rq *request) error {
	if rq.user != nil {
		rq.redirect("/apps")
		return nil
	}
	return rq.render(http.StatusOK, "landing.html", view{Title: "Clavis"})
}

type loginForm struct {
	Login string
	Next  string
}

func (h *Handler) loginPage(rq *request) error {
	return rq.render(http.StatusOK, "login.html", view{Title: "Log in", Data: loginForm{Next: localPath(rq.r.URL.Query().Get("next"))}})
}

// clientAddress is the address the connection comes from, or, when it
// comes from a trusted proxy, the client its X-Forwarded-For names.
func (h *Handler) clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return h.proxies.Resolve(host, r.Header.Values("X-Forwarded-For"))
}

func (h *Handler) login(rq *request) error {
	f := loginForm{Login: rq.form("login"), Next: localPath(rq.form("next"))}
	ns, err := h.svc.LogIn(rq.ctx(), service.Credentials{Login: f.Login, Password: rq.r.PostForm.Get("password"), Address: h.clientAddress(rq.r)})
	if err != nil {
		return rq.formError(err, "login.html", view{Title: "Log in", Data: f})
	}
	setSessionCookie(rq.w, rq.r, ns)
	switch {
	case ns.Session.MustChangePassword:
		rq.redirect("/settings/account")
	case f.Next != "":
		rq.redirect(f.Next)
	default:
		rq.redirect("/apps")
	}
	return nil
}

type signupForm struct {
	ID, Email string
}

func (h *Handler) signupClosed() error {
	return clavis.Errorf(clavis.EForbidden, "sign-up is closed on this server: ask an administrator for an account")
}

func (h *Handler) signupPage(rq *request) error {
	if !h.signup {
		return h.signupClosed()
	}
	return rq.render(http.StatusOK, "signup.html", view{Title: "Sign up"})
}

func (h *Handler) signupSubmit(rq *request) error {
	if !h.signup {
		return h.signupClosed()
	}
	f := signupForm{ID: rq.form("id"), Email: rq.form("email")}
	pw := rq.r.PostForm.Get("password")
	if pw != rq.r.PostForm.Get("confirm") {
		return rq.formError(clavis.Errorf(clavis.EInvalid, "the two passwords differ: type the same password twice"), "signup.html", view{Title: "Sign up", Data: f})
	}
	u, tok, err := h.svc.SignUp(rq.ctx(), service.NewAccount{ID: f.ID, Email: f.Email, Password: pw})
	if err != nil {
		return rq.formError(err, "signup.html", view{Title: "Sign up", Data: f})
	}
	ns, err := h.svc.StartSession(rq.ctx(), u, false)
	if err != nil {
		return err
	}
	setSessionCookie(rq.w, rq.r, ns)
	rq.sessionID, rq.session, rq.user = ns.ID, ns.Session, u
	return rq.render(http.StatusOK, "secret.html", view{Title: "Welcome to Clavis", Data: secretPage{
		Heading: "Welcome, " + u.ID,
		Intro:   "Your account is ready. This is your default Personal Access Token: it has every scope, and lets programs call the API as you.",
		Kind:    "Personal Access Token", Secret: tok,
		Done: "/settings/security", DoneLabel: "Go to Security settings",
	}})
}

// secretPage is the one page that shows a new secret.
type secretPage struct {
	Heading, Intro string
	Kind           string // what the secret is
	Secret         string
	Done           string // where to go next
	DoneLabel      string
	// AppID, for an app key, shows an example call without user_app_id.
	AppKey bool
	// Old, after a rotation, says until when the old secret works.
	Old string
}

func (h *Handler) logout(rq *request) error {
	if rq.sessionID != "" {
		if err := h.svc.EndSession(rq.ctx(), rq.sessionID); err != nil {
			return err
		}
	}
	clearSessionCookie(rq.w, rq.r)
	rq.redirect("/login?done=logged-out")
	return nil
}

type accountData struct {
	MustChange bool
}

func (h *Handler) accountPage(rq *request) error {
	return rq.render(http.StatusOK, "account.html", view{Title: "Account settings", Nav: "account", Data: accountData{MustChange: rq.session.MustChangePassword}})
}

func (h *Handler) changePassword(rq *request) error {
	v := view{Title: "Account settings", Nav: "account", Data: accountData{MustChange: rq.session.MustChangePassword}}
	next := rq.r.PostForm.Get("new")
	if next != rq.r.PostForm.Get("confirm") {
		return rq.formError(clavis.Errorf(clavis.EInvalid, "the two new passwords differ: type the same password twice"), "account.html", v)
	}
	if err := h.svc.ChangePassword(rq.ctx(), rq.acc, rq.r.PostForm.Get("current"), next); err != nil {
		return rq.formError(err, "account.html", v)
	}
	// Every session ended with the change; this browser gets a new one.
	ns, err := h.svc.StartSession(rq.ctx(), rq.user, false)
	if err != nil {
		return err
	}
	setSessionCookie(rq.w, rq.r, ns)
	rq.redirect("/settings/account?done=password-set")
	return nil
}
