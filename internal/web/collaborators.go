package web

import (
	"net/http"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

type collabForm struct {
	App    *clavis.App
	User   string // user id or e-mail address; fixed when editing
	Edit   bool
	Scopes scopeForm
	Action string
	Cancel string
}

func (h *Handler) newCollaboratorPage(rq *request) error {
	app := rq.acc.App
	return rq.render(http.StatusOK, "collab_form.html", view{Title: "Add a collaborator", Nav: "apps", Data: collabForm{
		App: app, Scopes: newScopeForm(rq.acc.Scopes, clavis.ScopeSet{}), Action: appPath(app.Ref()) + "/collaborators", Cancel: appPath(app.Ref()),
	}})
}

func (h *Handler) addCollaborator(rq *request) error {
	app := rq.acc.App
	f := collabForm{App: app, User: rq.form("user"), Scopes: newScopeForm(rq.acc.Scopes, rq.checkedScopes()),
		Action: appPath(app.Ref()) + "/collaborators", Cancel: appPath(app.Ref())}
	sp := service.CollaboratorSpec{Scopes: rq.formScopes()}
	if strings.Contains(f.User, "@") {
		sp.Email = f.User
	} else {
		sp.UserID = f.User
	}
	if _, err := h.svc.AddCollaborators(rq.ctx(), rq.acc, []service.CollaboratorSpec{sp}); err != nil {
		return rq.formError(err, "collab_form.html", view{Title: "Add a collaborator", Nav: "apps", Data: f})
	}
	rq.redirect(appPath(app.Ref()) + "?done=collab-added")
	return nil
}

// collaborator returns the grant of the path's user on the path's app, as
// ListCollaborators shows it.
func (h *Handler) collaborator(rq *request) (*service.Collaborator, error) {
	acc, err := rq.authorize(v2 + "ListCollaborators")
	if err != nil {
		return nil, err
	}
	cs, _, err := h.svc.ListCollaborators(rq.ctx(), acc, false, all)
	if err != nil {
		return nil, err
	}
	user := rq.r.PathValue("user")
	for i := range cs {
		if cs[i].UserID == user {
			return &cs[i], nil
		}
	}
	return nil, clavis.CollaboratorNotFound(user)
}

func (h *Handler) editCollaboratorPage(rq *request) error {
	c, err := h.collaborator(rq)
	if err != nil {
		return err
	}
	app := rq.acc.App
	return rq.render(http.StatusOK, "collab_form.html", view{Title: "Edit collaborator", Nav: "apps", Data: collabForm{
		App: app, User: c.UserID, Edit: true, Scopes: newScopeForm(rq.acc.Scopes, c.Scopes),
		Action: appPath(app.Ref()) + "/collaborators/" + c.UserID, Cancel: appPath(app.Ref()),
	}})
}

func (h *Handler) patchCollaborator(rq *request) error {
	c, err := h.collaborator(rq)
	if err != nil {
		return err
	}
	app := rq.acc.App
	sp := service.CollaboratorSpec{UserID: c.UserID, Scopes: rq.formScopes(), Endpoints: c.Endpoints}
	if _, err := h.svc.PatchCollaborators(rq.ctx(), rq.acc, "overwrite", []service.CollaboratorSpec{sp}); err != nil {
		return rq.formError(err, "collab_form.html", view{Title: "Edit collaborator", Nav: "apps", Data: collabForm{
			App: app, User: c.UserID, Edit: true, Scopes: newScopeForm(rq.acc.Scopes, rq.checkedScopes()),
			Action: appPath(app.Ref()) + "/collaborators/" + c.UserID, Cancel: appPath(app.Ref()),
		}})
	}
	rq.redirect(appPath(app.Ref()) + "?done=collab-updated")
	return nil
}

func (h *Handler) removeCollaboratorPage(rq *request) error {
	c, err := h.collaborator(rq)
	if err != nil {
		return err
	}
	app := rq.acc.App
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Remove collaborator", Nav: "apps", Data: confirmPage{
		Heading: "Remove " + c.UserID + " from " + app.ID + "?",
		What:    c.UserID + " loses access to the app " + app.Ref().String() + " from their next request. Their own keys and apps are not touched.",
		Action:  appPath(app.Ref()) + "/collaborators/" + c.UserID + "/remove", Cancel: appPath(app.Ref()), Button: "Remove collaborator",
	}})
}

func (h *Handler) removeCollaborator(rq *request) error {
	c, err := h.collaborator(rq)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveCollaborators(rq.ctx(), rq.acc, []string{c.UserID}, nil); err != nil {
		return err
	}
	rq.redirect(appPath(rq.acc.App.Ref()) + "?done=collab-removed")
	return nil
}
