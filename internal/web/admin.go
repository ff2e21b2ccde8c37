package web

import (
	"net/http"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

type usersData struct {
	Users []*clavis.User
	New   newUserForm
}

type newUserForm struct {
	ID, Email string
	Admin     bool
}

func (h *Handler) usersPage(rq *request) error {
	return h.renderUsers(rq, http.StatusOK, view{}, newUserForm{})
}

func (h *Handler) renderUsers(rq *request, status int, v view, f newUserForm) error {
	us, err := h.svc.ListUsers(rq.ctx(), all)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = "Users", "admin", usersData{Users: us, New: f}
	return rq.render(status, "users.html", v)
}

func (h *Handler) createUser(rq *request) error {
	f := newUserForm{ID: rq.form("id"), Email: rq.form("email"), Admin: rq.form("admin") == "on"}
	u, tok, err := h.svc.CreateUser(rq.ctx(), service.NewUser{ID: f.ID, Email: f.Email, Admin: f.Admin})
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return err
		}
		return h.renderUsers(rq, httpStatus(err), view{Error: clavis.ErrorMessage(err)}, f)
	}
	return rq.render(http.StatusOK, "secret.html", view{Title: "New user", Nav: "admin", Data: secretPage{
		Heading: "User " + u.ID + " was created",
		Intro:   "This is their default Personal Access Token. Hand it over safely, or set a temporary password for them to log in with.",
		Kind:    "Personal Access Token", Secret: tok,
		Done: "/admin/users/" + u.ID + "/password", DoneLabel: "Set a temporary password",
	}})
}

func (h *Handler) setDisabled(rq *request, disabled bool, done string) error {
	if _, err := h.svc.SetUserDisabled(rq.ctx(), rq.acc, rq.r.PathValue("user"), disabled); err != nil {
		return err
	}
	rq.redirect("/admin/users?done=" + done)
	return nil
}

func (h *Handler) disableUser(rq *request) error { return h.setDisabled(rq, true, "user-disabled") }

func (h *Handler) enableUser(rq *request) error { return h.setDisabled(rq, false, "user-enabled") }

func (h *Handler) resetPasswordPage(rq *request) error {
	u, err := h.svc.GetUser(rq.ctx(), rq.r.PathValue("user"))
	if err != nil || u.System {
		return clavis.UserNotFound(rq.r.PathValue("user"))
	}
	return rq.render(http.StatusOK, "reset_password.html", view{Title: "Reset password", Nav: "admin", Data: u})
}

func (h *Handler) resetPassword(rq *request) error {
	id := rq.r.PathValue("user")
	pw := rq.r.PostForm.Get("password")
	if err := h.svc.SetPassword(rq.ctx(), rq.acc, id, pw, true); err != nil {
		u, gerr := h.svc.GetUser(rq.ctx(), id)
		if gerr != nil {
			return err
		}
		return rq.formError(err, "reset_password.html", view{Title: "Reset password", Nav: "admin", Data: u})
	}
	rq.redirect("/admin/users?done=user-password")
	return nil
}
