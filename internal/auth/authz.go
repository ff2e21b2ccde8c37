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
	// Grant is the caller's grant on App (or on the account UserID names):
	// everything for its owner, the role's or collaborator's scopes, and
	// PublicGrant on a public app, united.
	Grant clavis.ScopeSet
	// Role says how the caller reached App: RoleOwner, RoleOrgAdmin,
	// RoleOrgContributor, RoleTeamContributor, RoleCollaborator or RolePublic
	// (the first that applies).
	Role Role
	// Scopes is what the call may do: the credential's scopes ∩ Grant.
	Scopes clavis.ScopeSet
}

// Role is how a caller reaches an app or account.
type Role string

// Roles, from the strongest.
const (
	RoleOwner           Role = "owner"
	RoleOrgAdmin        Role = "org_admin"
	RoleOrgContributor  Role = "org_contributor"
	RoleTeamContributor Role = "team_contributor"
	RoleCollaborator    Role = "collaborator"
	RolePublic          Role = "public"
)

// Manages reports whether the caller may manage the target app itself
// (change or delete it, make its keys): its owner, or an admin or
// contributor of the org owning it. Collaborators and public callers may
// not, whatever their scopes.
func (a *Access) Manages() bool { return a.Role.Manages() }

// Manages reports whether the role may manage an app: see Access.Manages.
func (r Role) Manages() bool { return r == RoleOwner || r == RoleOrgAdmin || r == RoleOrgContributor }

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
//   - EUnauthenticated when an app key names another app or its app is gone;
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
		app, role, grant, err := z.AppGrant(ctx, p, ref)
		if p.App != nil && clavis.ErrorCode(err) == clavis.ENotFound {
			// An app key dies with its app. A token cache that has not
			// heard of the deletion yet (another replica's, for a few
			// milliseconds) still knows the key; it gets the same answer
			// as a cache that has.
			return nil, invalidKey("this app key's app has been deleted or is out of its user's reach")
		}
		if err != nil {
			return nil, err
		}
		acc.App, acc.Role, acc.Grant, acc.Scopes = app, role, grant, p.Scopes.Intersect(grant)
	case TargetUser:
		id := userID
		if id == "" || id == clavis.UserMe {
			id = p.UserID
		}
		acc.UserID, acc.Role, acc.Grant = id, RoleOwner, clavis.AllScopes()
		if id != p.UserID {
			if err := clavis.CheckID("user_app_id.user_id", id); err != nil {
				return nil, err
			}
			if !r.OrgOK {
				return nil, clavis.UserNotFound(id)
			}
			role, grant, err := z.orgGrant(ctx, p.UserID, id)
			if err != nil {
				return nil, err
			}
			acc.Role, acc.Grant = role, grant
		}
		acc.Scopes = p.Scopes.Intersect(acc.Grant)
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

// AppGrant resolves the grant of p's user on an app: the one place where
// ownership, organization roles, teams, collaborators and public visibility
// become scopes. A caller with no grant gets exactly the answer a missing app
// gets. App keys never reach beyond their own app, public or not.
func (z *Authorizer) AppGrant(ctx context.Context, p *clavis.Principal, ref clavis.AppRef) (*clavis.App, Role, clavis.ScopeSet, error) {
	app, err := z.store.Apps().GetApp(ctx, ref)
	if err != nil {
		return nil, "", clavis.ScopeSet{}, err
	}
	if app.OwnerID == p.UserID {
		return app, RoleOwner, clavis.AllScopes(), nil
	}
	var role Role
	var grant clavis.ScopeSet
	if _, err := z.store.Orgs().GetOrg(ctx, app.OwnerID); err == nil {
		m, err := z.store.Orgs().GetMember(ctx, app.OwnerID, p.UserID)
		switch {
		case clavis.ErrorCode(err) == clavis.ENotFound:
		case err != nil:
			return nil, "", clavis.ScopeSet{}, err
		case m.Role == clavis.RoleAdmin:
			return app, RoleOrgAdmin, clavis.AllScopes(), nil
		case m.Role == clavis.RoleContributor:
			role, grant = RoleOrgContributor, m.Scopes
		case m.Role == clavis.RoleTeamContributor:
			sc, found, err := z.store.Orgs().TeamScopes(ctx, app.OwnerID, p.UserID, app.ID)
			if err != nil {
				return nil, "", clavis.ScopeSet{}, err
			}
			if found {
				role, grant = RoleTeamContributor, sc
			}
		}
	} else if clavis.ErrorCode(err) != clavis.ENotFound {
		return nil, "", clavis.ScopeSet{}, err
	}
	c, err := z.store.Collaborators().GetCollaborator(ctx, ref, p.UserID)
	switch {
	case err == nil:
		if role == "" {
			role = RoleCollaborator
		}
		grant = grant.Union(c.Scopes)
	case clavis.ErrorCode(err) != clavis.ENotFound:
		return nil, "", clavis.ScopeSet{}, err
	}
	if p.App == nil && app.Visibility == clavis.VisibilityPublic {
		if role == "" {
			role = RolePublic
		}
		grant = grant.Union(PublicGrant)
	}
	if role == "" {
		return nil, "", clavis.ScopeSet{}, clavis.AppNotFound(ref)
	}
	return app, role, grant, nil
}

// orgGrant resolves what a user may do on an organization account itself
// (listing and creating its apps): admins everything, org contributors their
// scopes, team contributors reading. Non-members get the answer a missing
// user gets.
func (z *Authorizer) orgGrant(ctx context.Context, userID, orgID string) (Role, clavis.ScopeSet, error) {
	if _, err := z.store.Orgs().GetOrg(ctx, orgID); err != nil {
		if clavis.ErrorCode(err) == clavis.ENotFound {
			return "", clavis.ScopeSet{}, clavis.UserNotFound(orgID)
		}
		return "", clavis.ScopeSet{}, err
	}
	m, err := z.store.Orgs().GetMember(ctx, orgID, userID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return "", clavis.ScopeSet{}, clavis.UserNotFound(orgID)
	}
	if err != nil {
		return "", clavis.ScopeSet{}, err
	}
	switch m.Role {
	case clavis.RoleAdmin:
		return RoleOrgAdmin, clavis.AllScopes(), nil
	case clavis.RoleContributor:
		return RoleOrgContributor, m.Scopes, nil
	}
	return RoleTeamContributor, clavis.MustScopes("Apps:Get", "Workflows:Get"), nil
}

func shortName(method string) string {
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		return method[i+1:]
	}
	return method
}
