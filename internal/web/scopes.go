package web

import (
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

// scopeForm is the scope checkboxes of a form: the scopes ListScopes
// reports, grouped by resource, limited to those the caller holds.
type scopeForm struct {
	// OfferAll is set when the caller holds every scope, and may grant All.
	OfferAll bool
	All      bool // All is checked
	Groups   []scopeGroup
}

type scopeGroup struct {
	Resource string
	Scopes   []scopeOption
}

type scopeOption struct {
	Name    string // e.g. Apps:Get
	Label   string // e.g. Get
	Checked bool
	// Deps are the scopes this one needs to be useful (ListScopes'
	// depending scopes), checked with it by the page's script.
	Deps string
}

// newScopeForm builds the checkboxes of the scopes allowed (the caller's
// own), with those of selected checked.
func newScopeForm(allowed, selected clavis.ScopeSet) scopeForm {
	f := scopeForm{OfferAll: allowed.IsAll(), All: selected.IsAll() && allowed.IsAll()}
	deps := clavis.ScopeDependencies()
	general := scopeGroup{Resource: "General"}
	var byResource []scopeGroup
	for _, n := range clavis.ScopeNames() {
		if !allowed.Has(n) {
			continue
		}
		o := scopeOption{Name: n, Label: n, Checked: selected.Has(n), Deps: strings.Join(deps[n], " ")}
		res, verb, ok := strings.Cut(n, ":")
		if !ok {
			general.Scopes = append(general.Scopes, o)
			continue
		}
		o.Label = verb
		if len(byResource) == 0 || byResource[len(byResource)-1].Resource != res {
			byResource = append(byResource, scopeGroup{Resource: res})
		}
		g := &byResource[len(byResource)-1]
		g.Scopes = append(g.Scopes, o)
	}
	if len(general.Scopes) > 0 {
		f.Groups = append(f.Groups, general)
	}
	f.Groups = append(f.Groups, byResource...)
	return f
}

// formScopes returns the scopes a submitted form checked: All alone when
// its box is checked.
func (rq *request) formScopes() []string {
	names := rq.r.PostForm["scope"]
	for _, n := range names {
		if n == clavis.ScopeAll {
			return []string{clavis.ScopeAll}
		}
	}
	return names
}

// checkedScopes parses the submitted scopes for re-rendering a form; names
// it cannot parse are dropped (the service names them in its error).
func (rq *request) checkedScopes() clavis.ScopeSet {
	var s clavis.ScopeSet
	for _, n := range rq.formScopes() {
		if one, err := clavis.ParseScopes([]string{n}); err == nil {
			s = s.Union(one)
		}
	}
	return s
}
