package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/clavis-dev/clavis/clavis"
)

// teamForm creates, edits or, for members who are not admins, shows a
// team: its scopes, and which of the organization's members and apps it
// holds.
type teamForm struct {
	Org      *clavis.Org
	Team     clavis.Team
	Edit     bool // the team exists
	ReadOnly bool
	Scopes   scopeForm
	Members  []choice
	Apps     []choice
	Action   string
	Cancel   string
}

// choice is one checkbox of a list.
type choice struct {
	Value   string
	Label   string
	Checked bool
}

func teamPath(orgID, teamID string) string {
	return orgPath(orgID) + "/teams/" + url.PathEscape(teamID)
}

// teamForm builds the form for t on the path's organization: every member
// and every app of the organization that ListMembers and ListApps show the
// caller, those of t checked.
func (h *Handler) teamForm(rq *request, t clavis.Team, edit bool) (teamForm, error) {
	o, err := h.targetOrg(rq)
	if err != nil {
		return teamForm{}, err
	}
	f := teamForm{Org: o, Team: t, Edit: edit, Scopes: newScopeForm(rq.acc.Scopes, t.Scopes), Action: orgPath(o.ID) + "/teams", Cancel: orgPath(o.ID)}
	if edit {
		f.Action = teamPath(o.ID, t.ID)
	}
	acc, err := rq.authorize(orgs + "ListMembers")
	if err != nil {
		return f, err
	}
	ms, err := h.svc.ListMembers(rq.ctx(), acc, all)
	if err != nil {
		return f, err
	}
	for _, m := range ms {
		f.Members = append(f.Members, choice{Value: m.UserID, Label: m.UserID + " · " + orgRoleLabel(m.Role), Checked: slices.Contains(t.Members, m.UserID)})
	}
	if acc, err = rq.authorizeOn(v2+"ListApps", o.ID, ""); err == nil {
		apps, err := h.svc.ListApps(rq.ctx(), acc, all)
		if err != nil {
			return f, err
		}
		for _, a := range apps {
			f.Apps = append(f.Apps, choice{Value: a.ID, Label: a.ID, Checked: slices.Contains(t.Apps, a.ID)})
		}
	} else if clavis.ErrorCode(err) == clavis.EInternal {
		return f, err
	}
	return f, nil
}

func (h *Handler) newTeamPage(rq *request) error {
	f, err := h.teamForm(rq, clavis.Team{}, false)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "team_form.html", view{Title: "Create a team", Nav: "orgs", Data: f})
}

// submittedTeam is the team a submitted form describes; id is the path's
// when editing.
func (rq *request) submittedTeam(id string) clavis.Team {
	return clavis.Team{ID: id, Name: rq.form("name"), Members: rq.r.PostForm["member"], Apps: rq.r.PostForm["app"], Scopes: rq.checkedScopes()}
}

func (h *Handler) createTeam(rq *request) error {
	return h.saveTeam(rq, rq.submittedTeam(rq.form("id")), false)
}

// saveTeam puts t, or answers its form with the reason it cannot.
func (h *Handler) saveTeam(rq *request, t clavis.Team, edit bool) error {
	saved, err := h.svc.PutTeam(rq.ctx(), rq.acc, t, rq.formScopes())
	if err != nil {
		f, ferr := h.teamForm(rq, t, edit)
		if ferr != nil {
			return ferr
		}
		return rq.formError(err, "team_form.html", view{Title: "Team", Nav: "orgs", Data: f})
	}
	done := "team-created"
	if edit {
		done = "team-updated"
	}
	rq.redirect(orgPath(saved.OrgID) + "?done=" + done)
	return nil
}

func (h *Handler) teamPage(rq *request) error {
	t, err := h.svc.GetTeam(rq.ctx(), rq.acc, rq.r.PathValue("team"))
	if err != nil {
		return err
	}
	f, err := h.teamForm(rq, *t, true)
	if err != nil {
		return err
	}
	// Admins edit the team here; other members see it as it is, since
	// PutTeam would refuse them.
	if _, err := rq.authorize(orgs + "PutTeam"); err != nil {
		f.ReadOnly = true
	}
	return rq.render(http.StatusOK, "team_form.html", view{Title: t.Name, Nav: "orgs", Data: f})
}

func (h *Handler) patchTeam(rq *request) error {
	acc, err := rq.authorize(orgs + "GetTeam")
	if err != nil {
		return err
	}
	id := rq.r.PathValue("team")
	if _, err := h.svc.GetTeam(rq.ctx(), acc, id); err != nil {
		return err
	}
	return h.saveTeam(rq, rq.submittedTeam(id), true)
}

func (h *Handler) deleteTeamPage(rq *request) error {
	t, o, err := h.targetTeam(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete team", Nav: "orgs", Data: confirmPage{
		Heading: "Delete the team " + t.Name + "?",
		What:    "Its members who are team contributors lose its apps from their next request. The apps and the members' accounts stay.",
		Action:  teamPath(o.ID, t.ID) + "/delete", Cancel: teamPath(o.ID, t.ID), Button: "Delete team",
	}})
}

// targetTeam returns the path's team and organization, as GetTeam shows
// them.
func (h *Handler) targetTeam(rq *request) (*clavis.Team, *clavis.Org, error) {
	acc, err := rq.authorize(orgs + "GetTeam")
	if err != nil {
		return nil, nil, err
	}
	t, err := h.svc.GetTeam(rq.ctx(), acc, rq.r.PathValue("team"))
	if err != nil {
		return nil, nil, err
	}
	o, err := h.svc.GetOrg(rq.ctx(), acc)
	if err != nil {
		return nil, nil, err
	}
	return t, o, nil
}

func (h *Handler) deleteTeam(rq *request) error {
	t, o, err := h.targetTeam(rq)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTeam(rq.ctx(), rq.acc, t.ID); err != nil {
		return err
	}
	rq.redirect(orgPath(o.ID) + "?done=team-deleted")
	return nil
}
