package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

// The organization pages authorize the Orgs method each names on the
// organization of their path ({org}), and, for a member's pages, on the
// member of their path ({user}): members read, admins change, as the
// Orgs service's rules say. What the page offers follows the caller's
// role, and every action is authorized again when it is posted.

func orgPath(id string) string { return "/orgs/" + url.PathEscape(id) }

// orgRoleLabel names a member's role for people.
func orgRoleLabel(r clavis.OrgRole) string {
	return map[clavis.OrgRole]string{
		clavis.RoleAdmin: "Admin", clavis.RoleContributor: "Organization contributor", clavis.RoleTeamContributor: "Team contributor",
	}[r]
}

// orgRoles are the roles a member may be given, in the forms' order.
var orgRoles = []struct {
	Value clavis.OrgRole
	Label string
	What  string
}{
	{clavis.RoleAdmin, "Admin", "Everything: members, teams, every app of the organization, and deleting it."},
	{clavis.RoleContributor, "Organization contributor", "Every app of the organization, with the scopes chosen below."},
	{clavis.RoleTeamContributor, "Team contributor", "Only the apps of their teams, with each team's scopes."},
}

type orgRow struct {
	Org  *clavis.Org
	Role string
}

// orgsData is the organizations page: the caller's organizations, and
// the form that creates one.
type orgsData struct {
	Orgs []orgRow
	New  orgForm
}

type orgForm struct{ ID, Name string }

func (h *Handler) orgsPage(rq *request) error {
	return h.renderOrgs(rq, http.StatusOK, view{}, orgForm{})
}

func (h *Handler) renderOrgs(rq *request, status int, v view, f orgForm) error {
	acc, err := rq.authorize(orgs + "ListOrgs")
	if err != nil {
		return err
	}
	os, err := h.svc.ListOrgs(rq.ctx(), acc, all)
	if err != nil {
		return err
	}
	d := orgsData{New: f}
	for _, o := range os {
		row := orgRow{Org: o}
		if acc, err := rq.authorizeOrg(orgs+"GetOrg", o.ID, ""); err == nil {
			row.Role = orgRoleLabel(acc.Org.Role)
		}
		d.Orgs = append(d.Orgs, row)
	}
	v.Title, v.Nav, v.Data = "Organizations", "orgs", d
	return rq.render(status, "orgs.html", v)
}

func (h *Handler) createOrg(rq *request) error {
	f := orgForm{ID: rq.form("id"), Name: rq.form("name")}
	o, err := h.svc.CreateOrg(rq.ctx(), rq.acc, f.ID, f.Name)
	if err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return err
		}
		return h.renderOrgs(rq, httpStatus(err), view{Error: clavis.ErrorMessage(err)}, f)
	}
	rq.redirect(orgPath(o.ID) + "?done=org-created")
	return nil
}

// orgPage is an organization's page: its members, teams and apps, with
// the admin's actions when the caller is one.
type orgPage struct {
	Org     *clavis.Org
	Path    string
	Me      string
	Role    string
	Admin   bool
	Members []memberRow
	Teams   []*clavis.Team
	Apps    []appRow
	// AppsNote says why the apps are not listed.
	AppsNote string
}

type memberRow struct {
	*clavis.OrgMember
	RoleLabel string
}

func (h *Handler) orgDetails(rq *request) (orgPage, error) {
	o, err := h.svc.GetOrg(rq.ctx(), rq.acc)
	if err != nil {
		return orgPage{}, err
	}
	d := orgPage{Org: o, Path: orgPath(o.ID), Me: rq.user.ID, Role: orgRoleLabel(rq.acc.Org.Role), Admin: rq.acc.Org.Role == clavis.RoleAdmin}
	acc, err := rq.authorize(orgs + "ListMembers")
	if err != nil {
		return d, err
	}
	ms, err := h.svc.ListMembers(rq.ctx(), acc, all)
	if err != nil {
		return d, err
	}
	for _, m := range ms {
		d.Members = append(d.Members, memberRow{OrgMember: m, RoleLabel: orgRoleLabel(m.Role)})
	}
	if acc, err = rq.authorize(orgs + "ListTeams"); err != nil {
		return d, err
	}
	if d.Teams, err = h.svc.ListTeams(rq.ctx(), acc, all); err != nil {
		return d, err
	}
	// The apps as ListApps shows them to this member.
	if acc, err = rq.authorizeOn(v2+"ListApps", o.ID, ""); err != nil {
		if clavis.ErrorCode(err) == clavis.EInternal {
			return d, err
		}
		d.AppsNote = clavis.ErrorMessage(err)
		return d, nil
	}
	apps, err := h.svc.ListApps(rq.ctx(), acc, all)
	if err != nil {
		return d, err
	}
	for _, a := range apps {
		d.Apps = append(d.Apps, appRow{App: a, Role: roleLabel(acc.Role)})
	}
	return d, nil
}

func (h *Handler) orgPage(rq *request) error {
	d, err := h.orgDetails(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "org.html", view{Title: d.Org.Name, Nav: "orgs", Data: d})
}

// memberForm adds or edits a member.
type memberForm struct {
	Org    *clavis.Org
	User   string // user id or e-mail address; fixed when editing
	Edit   bool
	Role   clavis.OrgRole
	Roles  any
	Scopes scopeForm
	Action string
	Cancel string
}

func (rq *request) memberForm(o *clavis.Org, user string, edit bool, role clavis.OrgRole, scopes clavis.ScopeSet) memberForm {
	f := memberForm{Org: o, User: user, Edit: edit, Role: role, Roles: orgRoles, Scopes: newScopeForm(rq.acc.Scopes, scopes),
		Action: orgPath(o.ID) + "/members", Cancel: orgPath(o.ID)}
	if edit {
		f.Action += "/" + url.PathEscape(user)
	}
	return f
}

// targetOrg returns the organization of the path, as GetOrg shows it to
// the caller.
func (h *Handler) targetOrg(rq *request) (*clavis.Org, error) {
	acc, err := rq.authorize(orgs + "GetOrg")
	if err != nil {
		return nil, err
	}
	return h.svc.GetOrg(rq.ctx(), acc)
}

func (h *Handler) newMemberPage(rq *request) error {
	o, err := h.targetOrg(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "member_form.html", view{Title: "Add a member", Nav: "orgs", Data: rq.memberForm(o, "", false, clavis.RoleContributor, clavis.ScopeSet{})})
}

func (h *Handler) addMember(rq *request) error {
	return h.putMember(rq, rq.form("user"), false)
}

// member returns the path's member of the path's organization.
func (h *Handler) member(rq *request) (*clavis.Org, *clavis.OrgMember, error) {
	o, err := h.targetOrg(rq)
	if err != nil {
		return nil, nil, err
	}
	acc, err := rq.authorize(orgs + "ListMembers")
	if err != nil {
		return nil, nil, err
	}
	ms, err := h.svc.ListMembers(rq.ctx(), acc, all)
	if err != nil {
		return nil, nil, err
	}
	user := rq.r.PathValue("user")
	for _, m := range ms {
		if m.UserID == user {
			return o, m, nil
		}
	}
	return nil, nil, clavis.MemberNotFound(o.ID, user)
}

func (h *Handler) editMemberPage(rq *request) error {
	o, m, err := h.member(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "member_form.html", view{Title: "Edit member", Nav: "orgs", Data: rq.memberForm(o, m.UserID, true, m.Role, m.Scopes)})
}

func (h *Handler) patchMember(rq *request) error {
	_, m, err := h.member(rq)
	if err != nil {
		return err
	}
	return h.putMember(rq, m.UserID, true)
}

// putMember saves the submitted member form for user (an id, or an e-mail
// address when adding).
func (h *Handler) putMember(rq *request, user string, edit bool) error {
	o, err := h.targetOrg(rq)
	if err != nil {
		return err
	}
	role := clavis.OrgRole(rq.form("role"))
	sp := service.MemberSpec{Role: role, Scopes: rq.formScopes()}
	if role != clavis.RoleContributor {
		sp.Scopes = nil // admins hold everything; team contributors their teams' scopes
	}
	if strings.Contains(user, "@") {
		sp.Email = user
	} else {
		sp.UserID = user
	}
	if _, err := h.svc.PutMember(rq.ctx(), rq.acc, sp); err != nil {
		title := "Add a member"
		if edit {
			title = "Edit member"
		}
		return rq.formError(err, "member_form.html", view{Title: title, Nav: "orgs", Data: rq.memberForm(o, user, edit, role, rq.checkedScopes())})
	}
	done := "member-added"
	if edit {
		done = "member-updated"
	}
	rq.redirect(orgPath(o.ID) + "?done=" + done)
	return nil
}

func (h *Handler) removeMemberPage(rq *request) error {
	o, m, err := h.member(rq)
	if err != nil {
		return err
	}
	c := confirmPage{
		Heading: "Remove " + m.UserID + " from " + o.Name + "?",
		What:    m.UserID + " loses the organization's apps from their next request. Their own apps and tokens are not touched.",
		Action:  orgPath(o.ID) + "/members/" + url.PathEscape(m.UserID) + "/remove", Cancel: orgPath(o.ID), Button: "Remove member",
	}
	if m.UserID == rq.user.ID {
		c.Heading, c.Button = "Leave "+o.Name+"?", "Leave organization"
		c.What = "You lose the organization's apps from your next request, until an admin adds you again."
	}
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Remove member", Nav: "orgs", Data: c})
}

func (h *Handler) removeMember(rq *request) error {
	o, m, err := h.member(rq)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveMember(rq.ctx(), rq.acc, m.UserID); err != nil {
		return err
	}
	if m.UserID == rq.user.ID {
		rq.redirect("/orgs?done=org-left")
		return nil
	}
	rq.redirect(orgPath(o.ID) + "?done=member-removed")
	return nil
}

func (h *Handler) deleteOrgPage(rq *request) error {
	o, err := h.svc.GetOrg(rq.ctx(), rq.acc)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete organization", Nav: "orgs", Data: deleteOrgConfirm(o)})
}

func deleteOrgConfirm(o *clavis.Org) confirmPage {
	return confirmPage{
		Heading: "Delete the organization " + o.Name + "?",
		What:    "This deletes " + o.ID + " for good, with:",
		Items:   []string{"every app of the organization, with its inputs, keys and collaborators: the keys stop working at once", "its teams and memberships"},
		Action:  orgPath(o.ID) + "/delete", Cancel: orgPath(o.ID), Button: "Delete this organization", Type: o.ID,
	}
}

func (h *Handler) deleteOrg(rq *request) error {
	o, err := h.svc.GetOrg(rq.ctx(), rq.acc)
	if err != nil {
		return err
	}
	if rq.form("confirm") != o.ID {
		return rq.formError(clavis.Errorf(clavis.EInvalid, "type the organization id %q to confirm", o.ID), "confirm.html",
			view{Title: "Delete organization", Nav: "orgs", Data: deleteOrgConfirm(o)})
	}
	if err := h.svc.DeleteOrg(rq.ctx(), rq.acc); err != nil {
		return err
	}
	rq.redirect("/orgs?done=org-deleted")
	return nil
}

// authorizeOrg is authorizeOn for an organization method.
func (rq *request) authorizeOrg(method, orgID, memberID string) (*auth.Access, error) {
	return rq.h.authz.Authorize(rq.ctx(), method, rq.principal, auth.Request{OrgID: orgID, MemberID: memberID})
}
