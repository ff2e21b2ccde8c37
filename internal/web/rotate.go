package web

import (
	"net/http"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/service"
)

// graceChoice is a grace period the rotate form offers: how long the old
// secret keeps working.
type graceChoice struct {
	Value string // a Go duration
	Label string
}

var graceChoices = []graceChoice{
	{"0s", "None: the old secret stops now"}, {"1h", "1 hour"}, {"24h", "1 day"}, {"168h", "7 days"}, {"720h", "30 days"},
}

// rotateForm is the page that rotates a key.
type rotateForm struct {
	Key    *clavis.Key
	App    *clavis.App // for app keys
	Grace  []graceChoice
	Chosen string
	// Expiry says when the new key expires.
	Expiry string
	Action string
	Cancel string
}

// formGrace reads the chosen grace period, one of graceChoices.
func (rq *request) formGrace() (time.Duration, error) {
	v := rq.form("grace")
	for _, c := range graceChoices {
		if c.Value == v {
			return time.ParseDuration(v)
		}
	}
	return 0, clavis.Errorf(clavis.EInvalid, "grace %q is not one of the choices: none, 1 hour, 1 day, 7 or 30 days", v)
}

// newExpiryNote says when the rotation of k gives a key that expires.
func (h *Handler) newExpiryNote(rq *request, k *clavis.Key) string {
	if k.ExpiresAt.IsZero() {
		// Unreadable, the policy is said in general terms.
		p, err := h.svc.KeyPolicyFor(rq.ctx(), k.Type, k.UserID, k.App)
		switch {
		case err != nil:
			return "The new secret expires as the expiry policy requires."
		case p.MaxLifetime > 0:
			return "The new secret expires " + lifetimeWords(p.MaxLifetime) + " after the rotation, this server's maximum lifetime."
		case p.ExpiryRequired:
			return "The new secret expires " + lifetimeWords(service.DefaultPolicyLifetime) + " after the rotation, as this server's policy requires an expiry."
		}
		return "The new secret never expires, like this one."
	}
	return "The new secret expires " + lifetimeWords(k.ExpiresAt.Sub(k.CreatedAt).Round(time.Second)) + " after the rotation, as this one did after its creation (within this server's policy)."
}

func (h *Handler) rotateForm(rq *request, k *clavis.Key, app *clavis.App, base, cancel string) rotateForm {
	chosen := rq.form("grace")
	if chosen == "" {
		chosen = "24h"
	}
	return rotateForm{Key: k, App: app, Grace: graceChoices, Chosen: chosen, Expiry: h.newExpiryNote(rq, k),
		Action: base + "/" + k.ID + "/rotate", Cancel: cancel}
}

// rotatable refuses a key that cannot be rotated, before its form is
// shown, as RotateKey would.
func (h *Handler) rotatable(k *clavis.Key) error {
	switch {
	case k.ReplacedBy != "":
		return clavis.Errorf(clavis.EInvalid, "this key was already rotated out, replaced by %s: rotate that one", k.ReplacedBy)
	case k.Expired(h.now()):
		return clavis.Errorf(clavis.EInvalid, "this key has expired: create a new key instead")
	}
	return nil
}

func (h *Handler) rotatePATPage(rq *request) error {
	k, err := h.ownPAT(rq)
	if err == nil {
		err = h.rotatable(k)
	}
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "rotate.html", view{Title: "Rotate Personal Access Token", Nav: "security",
		Data: h.rotateForm(rq, k, nil, "/settings/security/pats", "/settings/security")})
}

func (h *Handler) rotatePAT(rq *request) error {
	k, err := h.ownPAT(rq)
	if err != nil {
		return err
	}
	v := view{Title: "Rotate Personal Access Token", Nav: "security", Data: h.rotateForm(rq, k, nil, "/settings/security/pats", "/settings/security")}
	return h.rotate(rq, k, v, secretPage{
		Heading: "Your new Personal Access Token", Kind: "Personal Access Token",
		Done: "/settings/security", DoneLabel: "Back to Security settings",
	})
}

func (h *Handler) rotateAppKeyPage(rq *request) error {
	app, k, err := h.appKey(rq)
	if err == nil {
		err = h.rotatable(k)
	}
	if err != nil {
		return err
	}
	return rq.render(http.StatusOK, "rotate.html", view{Title: "Rotate API key", Nav: "apps",
		Data: h.rotateForm(rq, k, app, appPath(app.Ref())+"/keys", appPath(app.Ref()))})
}

func (h *Handler) rotateAppKey(rq *request) error {
	app, k, err := h.appKey(rq)
	if err != nil {
		return err
	}
	v := view{Title: "Rotate API key", Nav: "apps", Data: h.rotateForm(rq, k, app, appPath(app.Ref())+"/keys", appPath(app.Ref()))}
	return h.rotate(rq, k, v, secretPage{
		Heading: "Your new API key for " + app.ID, Kind: "API key", AppKey: true,
		Done: appPath(app.Ref()), DoneLabel: "Back to the app",
	})
}

// rotate rotates k with the form's grace period under the route's
// RotateKey access and shows the new secret once on sp; a refusal is
// answered on the form v.
func (h *Handler) rotate(rq *request, k *clavis.Key, v view, sp secretPage) error {
	grace, err := rq.formGrace()
	var r *service.Rotation
	if err == nil {
		r, err = h.svc.RotateKey(rq.ctx(), rq.acc, k.ID, grace)
	}
	if err != nil {
		return rq.formError(err, "rotate.html", v)
	}
	sp.Secret = r.New.Token
	sp.Intro = "“" + r.New.Key.Description + "” has a new secret, with the same scopes. Put it where the old one was used."
	if grace == 0 {
		sp.Old = "The old secret (" + r.Old.Hint + ") stopped working at once."
	} else {
		sp.Old = "The old secret (" + r.Old.Hint + ") keeps working until " + r.Old.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC") + ", then stops."
	}
	return rq.render(http.StatusOK, "secret.html", view{Title: v.Title, Nav: v.Nav, Data: sp})
}

// policyBanner lists the caller's keys that break the instance's expiry
// policy: they keep working, until the date each one stops, if any.
type policyBanner struct {
	Keys []bannerKey
}

type bannerKey struct {
	*clavis.Key
	Warning string
	Rotate  string // the key's rotate page
}

// policyBanner gathers the caller's keys, PATs and app keys, that break
// the policy, under ListKeys' rule.
func (h *Handler) policyBanner(rq *request, acc *auth.Access) (policyBanner, error) {
	var b policyBanner
	ks, err := h.svc.ListKeys(rq.ctx(), acc, service.KeyQuery{}, all)
	if err != nil {
		return b, err
	}
	now := h.now()
	for _, k := range ks {
		w := h.svc.PolicyWarning(rq.ctx(), k)
		if w == "" || k.Expired(now) {
			continue
		}
		bk := bannerKey{Key: k, Warning: w, Rotate: "/settings/security/pats/" + k.ID + "/rotate"}
		if k.App != nil {
			bk.Rotate = appPath(*k.App) + "/keys/" + k.ID + "/rotate"
		}
		b.Keys = append(b.Keys, bk)
	}
	return b, nil
}
