package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/service"
)

// keyTable is a list of keys with where their pages are.
type keyTable struct {
	Rows []keyRow
	Base string // the keys' pages are Base/<id>/edit, /rotate and /delete
	// Unused is the list's last-use filter ("" for every key), and
	// Filters the filters offered, when the list offers them.
	Unused  string
	Filters []unusedFilter
}

// keyRow is a key as the lists show it.
type keyRow struct {
	*clavis.Key
	Expired bool
	// Rotating marks a key rotated out that still works, until its
	// ExpiresAt (the end of its grace period).
	Rotating bool
	// Warning says how the key breaks the expiry policy; "" when it
	// complies.
	Warning string
}

func (h *Handler) keyRows(rq *request, ks []*clavis.Key) []keyRow {
	out := make([]keyRow, len(ks))
	now := h.now()
	for i, k := range ks {
		r := keyRow{Key: k, Expired: k.Expired(now)}
		r.Rotating = k.ReplacedBy != "" && !r.Expired
		if !r.Expired {
			// An expired key breaks nothing any more.
			r.Warning = h.svc.PolicyWarning(rq.ctx(), k)
		}
		out[i] = r
	}
	return out
}

// unusedFilter is one last-use filter of a key list: Value in ?unused=.
type unusedFilter struct {
	Value, Label string
}

var unusedFilters = []unusedFilter{{"", "All"}, {"never", "Never used"}, {"30", "Not used for 30 days"}, {"90", "Not used for 90 days"}}

// unusedQuery applies the list filter v (?unused=) to q: never used keys,
// or keys last used more than a number of days ago.
func (h *Handler) unusedQuery(v string, q *service.KeyQuery) error {
	switch v {
	case "":
	case "never":
		q.NeverUsed = true
	case "30", "90":
		n, _ := strconv.Atoi(v)
		q.LastUsedBefore = h.now().Add(-time.Duration(n) * day)
	default:
		return clavis.Errorf(clavis.EInvalid, "unused=%q is not a filter: use never, 30 or 90", v)
	}
	return nil
}

// keyForm is the data of the forms that create or edit a key.
type keyForm struct {
	Key         *clavis.Key // nil on create
	App         *clavis.App // for app keys
	Description string
	Scopes      scopeForm
	Expiry      expiryField // on create
	// Allow is the client address allowlist, one CIDR a line.
	Allow string
	// Warning says how the edited key breaks the expiry policy.
	Warning string
	Action  string // where the form posts
	Cancel  string
}

// securityData is the Security settings page.
type securityData struct {
	Keys   keyTable
	Banner policyBanner
}

func (h *Handler) securityPage(rq *request) error {
	unused := rq.r.URL.Query().Get("unused")
	q := service.KeyQuery{Type: string(clavis.KeyTypePAT)}
	if err := h.unusedQuery(unused, &q); err != nil {
		return err
	}
	ks, err := h.svc.ListKeys(rq.ctx(), rq.acc, q, all)
	if err != nil {
		return err
	}
	banner, err := h.policyBanner(rq, rq.acc)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "security.html", view{Title: "Security settings", Nav: "security", Data: securityData{
		Keys:   keyTable{Rows: h.keyRows(rq, ks), Base: "/settings/security/pats", Unused: unused, Filters: unusedFilters},
		Banner: banner,
	}})
}

// patForm is the create form of a PAT, with the expiries the policy
// allows and what the form had.
func (h *Handler) patForm(rq *request, scopes scopeForm) (keyForm, error) {
	e, err := h.expiryField(rq, clavis.KeyTypePAT, nil)
	return keyForm{
		Description: rq.form("description"), Scopes: scopes, Allow: rq.form("allowed_cidrs"), Expiry: e,
		Action: "/settings/security/pats", Cancel: "/settings/security",
	}, err
}

func (h *Handler) newPATPage(rq *request) error {
	f, err := h.patForm(rq, newScopeForm(rq.acc.Scopes, clavis.ScopeSet{}))
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "key_form.html", view{Title: "Create Personal Access Token", Nav: "security", Data: f})
}

func (h *Handler) createPAT(rq *request) error {
	// The scopes offered are those of ListScopes' rule, the caller's own.
	lsAcc, err := rq.authorize(v2 + "ListScopes")
	if err != nil {
		return err
	}
	f, err := h.patForm(rq, newScopeForm(lsAcc.Scopes, rq.checkedScopes()))
	if err != nil {
		return err
	}
	nk, err := h.createKey(rq, service.KeySpec{Type: string(clavis.KeyTypePAT)}, view{Title: "Create Personal Access Token", Nav: "security", Data: f})
	if nk == nil {
		return err
	}
	return rq.render(http.StatusOK, "secret.html", view{Title: "New Personal Access Token", Nav: "security", Data: secretPage{
		Heading: "Your new Personal Access Token",
		Intro:   "“" + nk.Key.Description + "” can now call the API with the scopes you chose.",
		Kind:    "Personal Access Token", Secret: nk.Token,
		Done: "/settings/security", DoneLabel: "Back to Security settings",
	}})
}

// createKey makes the key of a submitted create form, with the form's
// description, scopes, expiry and allowlist over sp. When it cannot, it answers the
// form v itself with the reason, and returns no key.
func (h *Handler) createKey(rq *request, sp service.KeySpec, v view) (*service.NewKey, error) {
	sp.Description, sp.Scopes, sp.AllowCIDRs = rq.form("description"), rq.formScopes(), rq.formAllowlist()
	err := errNoScopes(sp.Scopes)
	if err == nil {
		sp.ExpiresAt, err = rq.formExpiry()
	}
	if err == nil {
		var created []service.NewKey
		if created, err = h.svc.CreateKeys(rq.ctx(), rq.acc, []service.KeySpec{sp}); err == nil {
			return &created[0], nil
		}
	}
	return nil, rq.formError(err, "key_form.html", v)
}

// errNoScopes refuses a form that checked no scope: the service would read
// that as "keep the scopes" on a patch.
func errNoScopes(scopes []string) error {
	if len(scopes) == 0 {
		return clavis.Errorf(clavis.EInvalid, "choose at least one scope, or All")
	}
	return nil
}

// ownPAT returns one of the caller's PATs by the id in the path.
func (h *Handler) ownPAT(rq *request) (*clavis.Key, error) {
	acc, err := rq.authorize(v2 + "GetKey")
	if err != nil {
		return nil, err
	}
	k, err := h.svc.GetKey(rq.ctx(), acc, rq.r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	if k.Type != clavis.KeyTypePAT {
		return nil, clavis.KeyNotFound()
	}
	return k, nil
}

func (h *Handler) editPATPage(rq *request) error {
	k, err := h.ownPAT(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "key_form.html", view{Title: "Edit Personal Access Token", Nav: "security", Data: keyForm{
		Key: k, Description: k.Description, Scopes: newScopeForm(rq.acc.Scopes, k.Scopes), Allow: strings.Join(k.AllowCIDRs, "\n"),
		Warning: h.svc.PolicyWarning(rq.ctx(), k), Action: "/settings/security/pats/" + k.ID, Cancel: "/settings/security",
	}})
}

func (h *Handler) patchPAT(rq *request) error {
	k, err := h.ownPAT(rq)
	if err != nil {
		return err
	}
	return h.patchKey(rq, k, "/settings/security?done=pat-updated", "key_form.html", view{Title: "Edit Personal Access Token", Nav: "security", Data: keyForm{
		Key: k, Description: rq.form("description"), Scopes: newScopeForm(rq.acc.Scopes, rq.checkedScopes()), Allow: rq.form("allowed_cidrs"),
		Action: "/settings/security/pats/" + k.ID, Cancel: "/settings/security",
	}})
}

// patchKey saves the description, scopes and allowlist of a form on k,
// keeping its endpoints and expiry; an empty allowlist removes it.
func (h *Handler) patchKey(rq *request, k *clavis.Key, done, page string, v view) error {
	sp := service.KeySpec{ID: k.ID, Description: rq.form("description"), Scopes: rq.formScopes(), Endpoints: k.Endpoints,
		AllowCIDRs: rq.formAllowlist(), ReplaceAllowCIDRs: true}
	if err := errNoScopes(sp.Scopes); err != nil {
		return rq.formError(err, page, v)
	}
	if _, err := h.svc.PatchKeys(rq.ctx(), rq.acc, "overwrite", []service.KeySpec{sp}); err != nil {
		return rq.formError(err, page, v)
	}
	rq.redirect(done)
	return nil
}

// confirmPage is a page asking to confirm a deletion.
type confirmPage struct {
	Heading string
	What    string   // what goes, in a sentence
	Items   []string // what goes with it
	Action  string
	Cancel  string
	Button  string
	// Type, when set, must be typed to confirm.
	Type string
	// IDs are posted again with the confirmation, as fields "id", with
	// "confirmed" set: the selection a form confirms.
	IDs []string
}

func (h *Handler) deletePATPage(rq *request) error {
	k, err := h.ownPAT(rq)
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "confirm.html", view{Title: "Delete Personal Access Token", Nav: "security", Data: confirmPage{
		Heading: "Delete this Personal Access Token?",
		What:    "“" + k.Description + "” (" + k.Hint + ") stops working at once: every program using it is refused from its next request.",
		Action:  "/settings/security/pats/" + k.ID + "/delete", Cancel: "/settings/security", Button: "Delete token",
	}})
}

func (h *Handler) deletePAT(rq *request) error {
	k, err := h.ownPAT(rq)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteKey(rq.ctx(), rq.acc, k.ID); err != nil {
		return err
	}
	rq.redirect("/settings/security?done=pat-deleted")
	return nil
}
