package auth

import (
	"context"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

// PublicGrant is what every PAT may do on a public app: read it and its
// models, and predict.
var PublicGrant = clavis.MustScopes("Apps:Get", "Models:Get", "Concepts:Get", "Workflows:Get", "Predict")

// Access is the outcome of a successful authorization: who calls, on what,
// with which effective scopes. It travels in the request context.
type Access struct {
	Principal *clavis.Principal
	Method    string
	// UserID is the resolved target user of TargetUser methods.
	UserID string
	// App is the target app of TargetApp methods.
	App *clavis.App
	// Grant is the caller's grant on App: everything for its owner,
	// PublicGrant on someone else's public app.
	Grant clavis.ScopeSet
	// Scopes is what the call may do: the credential's scopes ∩ Grant.
	Scopes clavis.ScopeSet
}

// Owner reports whether the caller owns the target app.
func (a *Access) Owner() bool { return a.App != nil && a.App.OwnerID == a.Principal.UserID }

// Authorizer decides whether a principal may call a method on a target.
// All grant resolution lives here.
type Authorizer struct{ store clavis.Tx }

// NewAuthorizer returns an Authorizer reading apps from s.
func NewAuthorizer(s clavis.Tx) *Authorizer { return &Authorizer{store: s} }

// Authorize applies the rule of method to principal p and the request's
// user_app_id (userID, appID). It returns the Access to hand to the
// handler, or:
//   - EForbidden when the method has no rule, the credential is of the
//     wrong type, or scopes or endpoints are missing (the message names them);
//   - EInvalid when an app-scoped call by a PAT names no app, or ids are malformed;
//   - EUnauthenticated when an app key names another app;
//   - ENotFound when the target app or user is missing or not visible.
func (z *Authorizer) Authorize(ctx context.Context, method string, p *clavis.Principal, userID, appID string) (*Access, error) {
	r, ok := Rules[method]
	if !ok {
		return nil, clavis.Errorf(clavis.EForbidden, "method %s has no authorization rule and is refused", method)
	}
	if r.Auth != KeyAuth && p.KeyType != clavis.KeyTypePAT {
		return nil, clavis.Errorf(clavis.EForbidden, "%s needs a Personal Access Token; app-specific keys cannot call it", shortName(method))
	}
	if r.Auth == AdminAuth && !p.Admin {
		return nil, clavis.Errorf(clavis.EForbidden, "%s is for instance administrators only", shortName(method))
	}
	if !p.AllowsEndpoint(method) {
		return nil, clavis.Errorf(clavis.EForbidden, "this key is limited to endpoints %s, which do not include %s", strings.Join(p.Endpoints, ", "), method)
	}
	acc := &Access{Principal: p, Method: method}
	switch r.Target {
	case TargetApp:
		ref, err := appTarget(p, userID, appID)
		if err != nil {
			return nil, err
		}
		app, grant, err := z.grant(ctx, p, ref)
		if err != nil {
			return nil, err
		}
		acc.App, acc.Grant, acc.Scopes = app, grant, p.Scopes.Intersect(grant)
	case TargetUser:
		id := userID
		if id == "" || id == clavis.UserMe {
			id = p.UserID
		}
		if id != p.UserID {
			if err := clavis.CheckID("user_app_id.user_id", id); err != nil {
				return nil, err
			}
			return nil, clavis.UserNotFound(id)
		}
		acc.UserID, acc.Scopes = id, p.Scopes
	case TargetInstance:
		acc.Scopes = p.Scopes
	}
	if missing := r.Scopes.Minus(acc.Scopes); !missing.IsEmpty() {
		return nil, clavis.Errorf(clavis.EForbidden, "missing scopes %s for %s", strings.Join(missing.Names(), ", "), shortName(method))
	}
	return acc, nil
}

// appTarget works out which app an app-scoped call is about.
func appTarget(p *clavis.Principal, userID, appID string) (clavis.AppRef, error) {
	if userID == clavis.UserMe {
		userID = p.UserID
	}
	if p.App != nil {
		// An app key reaches its own app only; ids may be omitted.
		if userID == "" && appID == "" {
			return *p.App, nil
		}
		if (userID != "" && userID != p.App.OwnerID) || (appID != "" && appID != p.App.AppID) {
			return clavis.AppRef{}, invalidKey("this app key belongs to another app than the request's user_app_id")
		}
		return *p.App, nil
	}
	if appID == "" {
		return clavis.AppRef{}, clavis.Errorf(clavis.EInvalid, "user_app_id needs the user_id and app_id of the app's owner when calling with a Personal Access Token")
	}
	if userID == "" {
		userID = p.UserID
	}
	if err := clavis.CheckID("user_app_id.user_id", userID); err != nil {
		return clavis.AppRef{}, err
	}
	if err := clavis.CheckID("user_app_id.app_id", appID); err != nil {
		return clavis.AppRef{}, err
	}
	return clavis.AppRef{OwnerID: userID, AppID: appID}, nil
}

// grant resolves the caller's grant on an app. A caller with no grant gets
// exactly the answer a missing app gets.
func (z *Authorizer) grant(ctx context.Context, p *clavis.Principal, ref clavis.AppRef) (*clavis.App, clavis.ScopeSet, error) {
	app, err := z.store.Apps().GetApp(ctx, ref)
	if err != nil {
		return nil, clavis.ScopeSet{}, err
	}
	switch {
	case app.OwnerID == p.UserID:
		return app, clavis.AllScopes(), nil
	case p.App == nil && app.Visibility == clavis.VisibilityPublic:
		return app, PublicGrant, nil
	}
	return nil, clavis.ScopeSet{}, clavis.AppNotFound(ref)
}

func shortName(method string) string {
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		return method[i+1:]
	}
	return method
}
