package web

import (
	"net/http"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// The app key pages authorize ListAppKeys on the path's app (the app must
// be visible and its keys the caller's to see), then act on the key with
// the rule of the key method (GetKey, PostKeys, PatchKeys, DeleteKey), as
// a client of the API would.

func (h *Handler) newAppKeyPage(rq *request) error {
	f, err := h.appKeyForm(rq, rq.acc.App, newScopeForm(rq.acc.Scopes, clavis.ScopeSet{}))
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "key_form.html", view{Title: "Create API key", Nav: "apps", Data: f})
}

// appKeyForm is the create form of an app key, with the expiries the
// policy allows and what the form had.
func (h *Handler) appKeyForm(rq *request, app *clavis.App, scopes scopeForm) (keyForm, error) {
	ref := app.Ref()
	e, err := h.expiryField(rq, clavis.KeyTypeApp, &ref)
	return keyForm{
		App: app, Description: rq.form("description"), Scopes: scopes, Allow: rq.form("allowed_cidrs"), Expiry: e,
		Action: appPath(app.Ref()) + "/keys", Cancel: appPath(app.Ref()),
	}, err
}

func (h *Handler) createAppKey(rq *request) error {
	appAcc, err := rq.authorize(v2 + "ListAppKeys")
	if err != nil {
		return err
	}
	app := appAcc.App
	f, err := h.appKeyForm(rq, app, newScopeForm(appAcc.Scopes, rq.checkedScopes()))
	if err != nil {
		return err
	}
	nk, err := h.createKey(rq, service.KeySpec{Type: string(clavis.KeyTypeApp), Apps: []clavis.AppRef{app.Ref()}}, view{Title: "Create API key", Nav: "apps", Data: f})
	if nk == nil {
		return err
	}
	return rq.render(http.StatusOK, "secret.html", view{Title: "New API key", Nav: "apps", Data: secretPage{
		Heading: "Your new API key for " + app.ID,
		Intro:   "“" + nk.Key.Description + "” reaches the app " + app.Ref().String() + " only, with the scopes you chose.",
		Kind:    "API key", Secret: nk.Token, AppKey: true,
		Done: appPath(app.Ref()), DoneLabel: "Back to the app",
	}})
}

// appKey returns the caller's key of the path's app by the id in the path.
func (h *Handler) appKey(rq *request) (*clavis.App, *clavis.Key, error) {
	appAcc, err := rq.authorize(v2 + "ListAppKeys")
	if err != nil {
		return nil, nil, err
	}
	acc, err := rq.authorize(v2 + "GetKey")
	if err != nil {
		return nil, nil, err
	}
	k, err := h.svc.GetKey(rq.ctx(), acc, rq.r.PathValue("key"))
	if err != nil {
		return nil, nil, err
	}
	if k.App == nil || *k.App != appAcc.App.Ref() {
		return nil, nil, clavis.KeyNotFound()
	}
	return appAcc.App, k, nil
}

func (h *Handler) editAppKeyPage(rq *request) error {
	app, k, err := h.appKey(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "key_form.html", view{Title: "Edit API key", Nav: "apps", Data: keyForm{
		Key: k, App: app, Description: k.Description, Scopes: newScopeForm(rq.acc.Scopes, k.Scopes), Allow: strings.Join(k.AllowCIDRs, "\n"),
		Warning: h.svc.PolicyWarning(rq.ctx(), k),
		Action:  appPath(app.Ref()) + "/keys/" + k.ID, Cancel: appPath(app.Ref()),
	}})
}

func (h *Handler) patchAppKey(rq *request) error {
	app, k, err := h.appKey(rq)
	if err != nil {
		return err
	}
	appAcc, err := rq.authorize(v2 + "ListAppKeys")
	if err != nil {
		return err
	}
	return h.patchKey(rq, k, appPath(app.Ref())+"?done=key-updated", "key_form.html", view{Title: "Edit API key", Nav: "apps", Data: keyForm{
		Key: k, App: app, Description: rq.form("description"), Scopes: newScopeForm(appAcc.Scopes, rq.checkedScopes()), Allow: rq.form("allowed_cidrs"),
		Action: appPath(app.Ref()) + "/keys/" + k.ID, Cancel: appPath(app.Ref()),
	}})
}

func (h *Handler) deleteAppKeyPage(rq *request) error {
	app, k, err := h.appKey(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete API key", Nav: "apps", Data: confirmPage{
		Heading: "Delete this API key?",
		What:    "“" + k.Description + "” (" + k.Hint + ") of the app " + app.Ref().String() + " stops working at once: every program using it is refused from its next request.",
		Action:  appPath(app.Ref()) + "/keys/" + k.ID + "/delete", Cancel: appPath(app.Ref()), Button: "Delete key",
	}})
}

func (h *Handler) deleteAppKey(rq *request) error {
	app, k, err := h.appKey(rq)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteKey(rq.ctx(), rq.acc, k.ID); err != nil {
		return err
	}
	rq.redirect(appPath(app.Ref()) + "?done=key-deleted")
	return nil
}
