package web

import (
	"net/http"
	"net/url"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

var all = clavis.Page{Size: clavis.MaxPageSize}

// appRow is an app as the lists show it, with how the caller reaches it.
type appRow struct {
	*clavis.App
	Role string
}

type orgApps struct {
	Org  *clavis.Org
	Apps []appRow
	// Note says why the apps are not listed.
	Note string
}

type appsData struct {
	// Banner lists the user's keys that break the expiry policy.
	Banner policyBanner
	Own    []appRow
	Shared []appRow
	Orgs   []orgApps
}

func appPath(ref clavis.AppRef) string {
	return "/apps/" + url.PathEscape(ref.OwnerID) + "/" + url.PathEscape(ref.AppID)
}

func (h *Handler) appsPage(rq *request) error {
	var d appsData
	own, err := h.svc.ListApps(rq.ctx(), rq.acc, all)
	if err != nil {
		return err
	}
	for _, a := range own {
		d.Own = append(d.Own, appRow{App: a, Role: "Owner"})
	}
	if acc, err := rq.authorize(v2 + "ListCollaborations"); err == nil {
		cs, err := h.svc.ListCollaborations(rq.ctx(), acc, all)
		if err != nil {
			return err
		}
		for _, c := range cs {
			d.Shared = append(d.Shared, appRow{App: c.App, Role: "Collaborator"})
		}
	}
	if acc, err := rq.authorize(orgs + "ListOrgs"); err == nil {
		os, err := h.svc.ListOrgs(rq.ctx(), acc, all)
		if err != nil {
			return err
		}
		for _, o := range os {
			// The org's apps as ListApps shows them to this member.
			acc, err := rq.authorizeOn(v2+"ListApps", o.ID, "")
			if err != nil {
				if clavis.ErrorCode(err) == clavis.EInternal {
					return err
				}
				d.Orgs = append(d.Orgs, orgApps{Org: o, Note: clavis.ErrorMessage(err)})
				continue
			}
			apps, err := h.svc.ListApps(rq.ctx(), acc, all)
			if err != nil {
				return err
			}
			oa := orgApps{Org: o}
			for _, a := range apps {
				oa.Apps = append(oa.Apps, appRow{App: a, Role: roleLabel(acc.Role)})
			}
			d.Orgs = append(d.Orgs, oa)
		}
	}
	if acc, err := rq.authorize(v2 + "ListKeys"); err == nil {
		if d.Banner, err = h.policyBanner(rq, acc); err != nil {
			return err
		}
	}
	return rq.render(http.StatusOK, "apps.html", view{Title: "Apps", Nav: "apps", Data: d})
}

func roleLabel(r auth.Role) string {
	return map[auth.Role]string{
		auth.RoleOwner: "Owner", auth.RoleOrgAdmin: "Organization admin", auth.RoleOrgContributor: "Organization contributor",
		auth.RoleTeamContributor: "Team contributor", auth.RoleCollaborator: "Collaborator", auth.RolePublic: "Public app",
	}[r]
}

type appForm struct {
	ID, Description string
	Public          bool
	// Owner is the account the app is created in: the user's own, or an
	// organization's among Owners.
	Owner  string
	Owners []string
}

// appOwners lists the accounts the caller may create apps in: their own,
// then each organization where PostApps's rule lets them.
func (h *Handler) appOwners(rq *request) ([]string, error) {
	owners := []string{rq.user.ID}
	acc, err := rq.authorize(orgs + "ListOrgs")
	if err != nil {
		return owners, nil
	}
	os, err := h.svc.ListOrgs(rq.ctx(), acc, all)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		if _, err := rq.authorizeOn(v2+"PostApps", o.ID, ""); err == nil {
			owners = append(owners, o.ID)
		}
	}
	return owners, nil
}

func (h *Handler) newAppPage(rq *request) error {
	owners, err := h.appOwners(rq)
	if err != nil {
		return err
	}
	f := appForm{Owner: rq.r.URL.Query().Get("owner"), Owners: owners}
	return rq.render(http.StatusOK, "app_new.html", view{Title: "Create an app", Nav: "apps", Data: f})
}

func visibility(public bool) clavis.Visibility {
	if public {
		return clavis.VisibilityPublic
	}
	return clavis.VisibilityPrivate
}

func (h *Handler) createApp(rq *request) error {
	f := appForm{ID: rq.form("id"), Description: rq.form("description"), Public: rq.form("visibility") == "public", Owner: rq.form("owner")}
	acc := rq.acc
	var err error
	if f.Owner != "" && f.Owner != rq.user.ID {
		// An organization's app, under PostApps's rule on that account.
		acc, err = rq.authorizeOn(v2+"PostApps", f.Owner, "")
	}
	var apps []*clavis.App
	if err == nil {
		apps, err = h.svc.CreateApps(rq.ctx(), acc, []service.AppSpec{{ID: f.ID, Description: &f.Description, Visibility: visibility(f.Public)}})
	}
	if err != nil {
		var oerr error
		if f.Owners, oerr = h.appOwners(rq); oerr != nil {
			return oerr
		}
		return rq.formError(err, "app_new.html", view{Title: "Create an app", Nav: "apps", Data: f})
	}
	rq.redirect(appPath(apps[0].Ref()) + "?done=app-created")
	return nil
}

// appData is an app's settings page.
type appData struct {
	Head     appHead
	App      *clavis.App
	Path     string
	Manages  bool
	Public   bool
	Keys     keyTable
	KeysNote string // why the keys are not listed
	Collabs  []service.Collaborator
	// CollabsNote says why collaborators are not listed.
	CollabsNote string
}

// appDetails gathers what the settings and delete pages show of an app:
// each part under its own method's rule, so a part the API would refuse is
// left out with the API's reason.
func (h *Handler) appDetails(rq *request, app *clavis.App) (appData, error) {
	d := appData{Head: rq.appHead(app, "settings"), App: app, Path: appPath(app.Ref()), Manages: rq.acc.Role.Manages(), Public: app.Visibility == clavis.VisibilityPublic}
	acc, err := rq.authorize(v2 + "ListAppKeys")
	if err == nil {
		var ks []*clavis.Key
		if ks, err = h.svc.ListAppKeys(rq.ctx(), acc, all); err == nil {
			d.Keys = keyTable{Rows: h.keyRows(rq, ks), Base: d.Path + "/keys"}
		}
	}
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return d, err
		}
		d.KeysNote = clavis.ErrorMessage(err)
	}
	acc, err = rq.authorize(v2 + "ListCollaborators")
	if err == nil {
		d.Collabs, _, err = h.svc.ListCollaborators(rq.ctx(), acc, false, all)
	}
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return d, err
		}
		d.CollabsNote = clavis.ErrorMessage(err)
	}
	return d, nil
}

func (h *Handler) appPage(rq *request) error {
	d, err := h.appDetails(rq, rq.acc.App)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "app.html", view{Title: d.App.ID, Nav: navOf(d.App), Data: d})
}

func (h *Handler) patchApp(rq *request) error {
	desc := rq.form("description")
	sp := service.AppSpec{Description: &desc, Visibility: visibility(rq.form("visibility") == "public")}
	app, err := h.svc.PatchApp(rq.ctx(), rq.acc, "merge", sp)
	if err != nil {
		getAcc, aerr := rq.authorize(v2 + "GetApp")
		if aerr != nil {
			return err
		}
		rq.acc = getAcc
		d, derr := h.appDetails(rq, getAcc.App)
		if derr != nil {
			return derr
		}
		return rq.formError(err, "app.html", view{Title: getAcc.App.ID, Nav: "apps", Data: d})
	}
	rq.redirect(appPath(app.Ref()) + "?done=app-updated")
	return nil
}

func (h *Handler) deleteAppPage(rq *request) error {
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete app", Nav: "apps", Data: h.deleteAppConfirm(rq)})
}

func (h *Handler) deleteAppConfirm(rq *request) confirmPage {
	app := rq.acc.App
	c := confirmPage{
		Heading: "Delete app " + app.ID + "?",
		What:    "This deletes the app " + app.Ref().String() + " and everything in it, for good:",
		Action:  appPath(app.Ref()) + "/delete", Cancel: appPath(app.Ref()), Button: "Delete this app", Type: app.ID,
	}
	d, err := h.appDetails(rq, app)
	if err == nil {
		c.Items = append(c.Items, plural(len(d.Keys.Rows), "API key")+", which stop working at once")
		if n := len(d.Collabs); n == 1 {
			c.Items = append(c.Items, "1 collaborator loses access")
		} else {
			c.Items = append(c.Items, plural(n, "collaborator")+" lose access")
		}
	}
	c.Items = append(c.Items, "its inputs and settings")
	return c
}

func (h *Handler) deleteApp(rq *request) error {
	if rq.form("confirm") != rq.acc.App.ID {
		return rq.formError(clavis.Errorf(clavis.EInvalid, "type the app id %q to confirm", rq.acc.App.ID), "confirm.html",
			view{Title: "Delete app", Nav: "apps", Data: h.deleteAppConfirm(rq)})
	}
	if err := h.svc.DeleteApp(rq.ctx(), rq.acc); err != nil {
		return err
	}
	rq.redirect("/apps?done=app-deleted")
	return nil
}
