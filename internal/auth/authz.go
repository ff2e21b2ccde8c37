package auth

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// PublicGrant is what every PAT may do on a public app: read it and its
// models, and predict.
var PublicGrant = clavis.MustScopes("Apps:Get", "Models:Get", "Concepts:Get", "Workflows:Get", "Predict")

// Request is what a call names as its target, as its message says.
type Request struct {
	// UserID and AppID are the request's user_app_id.
	UserID, AppID string
	// OrgID is the organization of a call of the Orgs service.
	OrgID string
	// MemberID is the member a call acts on (RemoveMember's user_id).
	MemberID string
}

// Access is the outcome of a successful authorization: who calls, on what,
// with which effective scopes. It travels in the request context.
type Access struct {
	Principal *clavis.Principal
	Method    string
	// UserID is the resolved target user of TargetUser methods.
	UserID string
	// App is the target app of TargetApp methods.
	App *clavis.App
	// Org is the caller's membership of the target organization of
	// TargetOrg methods.
	Org *clavis.OrgMember
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

// Manages reports whether the role may manage an app itself (change or
// delete it, make and list its keys): its owner, or an admin or contributor
// of the org owning it. Collaborators and public callers may not, whatever
// their scopes.
func (r Role) Manages() bool { return r == RoleOwner || r == RoleOrgAdmin || r == RoleOrgContributor }

// Authorizer decides whether a principal may call a method on a target.
// Every permission decision of Clavis is made here: the rule table,
// ownership, organization roles, teams, collaborators, public apps, and
// what a caller may grant. It is safe for concurrent use.
type Authorizer struct {
	store clavis.Tx
	cache *GrantCache // nil: every decision reads the store
}

// NewAuthorizer returns an Authorizer reading apps, grants and memberships
// from s on every decision, as a use case inside a transaction needs.
func NewAuthorizer(s clavis.Tx) *Authorizer { return &Authorizer{store: s} }

// NewCachedAuthorizer returns an Authorizer reading from s that keeps the
// app grants it resolves in c (an Authenticator's Grants), which the
// Authenticator's invalidations keep coherent.
func NewCachedAuthorizer(s clavis.Tx, c *GrantCache) *Authorizer {
	return &Authorizer{store: s, cache: c}
}

// Authorize applies the rule of method to principal p and the target req
// names. It returns the Access to hand to the handler, or:
//   - EForbidden when the method has no rule, the credential is of the
//     wrong type, scopes or endpoints are missing, or the caller's role on
//     the target does not allow the method (the message says which);
//   - EInvalid when an app-scoped call by a PAT names no app, or ids are malformed;
//   - EUnauthenticated when an app key names another app or its app is gone;
//   - ENotFound when the target app, user or organization is missing or not
//     visible to the caller.
func (z *Authorizer) Authorize(ctx context.Context, method string, p *clavis.Principal, req Request) (*Access, error) {
	r, ok := Rules[method]
	if !ok {
		return nil, clavis.Errorf(clavis.EForbidden, "method %s has no authorization rule and is refused", method)
	}
	if r.Auth == NoAuth {
		return &Access{Principal: p, Method: method}, nil
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
		if err := z.appAccess(ctx, acc, r, req); err != nil {
			return nil, err
		}
	case TargetUser:
		if err := z.userAccess(ctx, acc, r, req); err != nil {
			return nil, err
		}
	case TargetOrg:
		// The credential's scopes are checked first: what an org method
		// needs is the PAT's, not a grant of the org's.
		if err := missingScopes(r.Scopes, p.Scopes, method); err != nil {
			return nil, err
		}
		if err := z.orgAccess(ctx, acc, r, req); err != nil {
			return nil, err
		}
		acc.Scopes = p.Scopes
	case TargetInstance:
		acc.Scopes = p.Scopes
	}
	if err := missingScopes(r.Scopes, acc.Scopes, method); err != nil {
		return nil, err
	}
	return acc, nil
}

func missingScopes(need, have clavis.ScopeSet, method string) error {
	if need.IsAll() && !have.IsAll() {
		return clavis.Errorf(clavis.EForbidden, "missing scopes All for %s: it needs a Personal Access Token holding All", shortName(method))
	}
	if missing := need.Minus(have); !missing.IsEmpty() {
		return clavis.Errorf(clavis.EForbidden, "missing scopes %s for %s", strings.Join(missing.Names(), ", "), shortName(method))
	}
	return nil
}

func (z *Authorizer) appAccess(ctx context.Context, acc *Access, r Rule, req Request) error {
	p := acc.Principal
	ref, err := appTarget(p, req.UserID, req.AppID)
	if err != nil {
		return err
	}
	app, role, grant, err := z.AppGrant(ctx, p, ref)
	if p.App != nil && clavis.ErrorCode(err) == clavis.ENotFound {
		// An app key dies with its app. A token cache that has not heard of
		// the deletion yet (another replica's, for a few milliseconds)
		// still knows the key; it gets the same answer as a cache that has.
		return invalidKey("this app key's app has been deleted or is out of its user's reach")
	}
	if err != nil {
		return err
	}
	acc.App, acc.Role, acc.Grant, acc.Scopes = app, role, grant, p.Scopes.Intersect(grant)
	// Scopes first: a caller lacking them hears that, whoever they are.
	if err := missingScopes(r.Scopes, acc.Scopes, acc.Method); err != nil {
		return err
	}
	if r.Manage && !role.Manages() {
		return z.notManager(ctx, app.Ref(), "call "+shortName(acc.Method)+" on")
	}
	return nil
}

func (z *Authorizer) userAccess(ctx context.Context, acc *Access, r Rule, req Request) error {
	p := acc.Principal
	id := req.UserID
	if id == "" || id == clavis.UserMe {
		id = p.UserID
	}
	acc.UserID, acc.Role, acc.Grant = id, RoleOwner, clavis.AllScopes()
	if id != p.UserID {
		if err := clavis.CheckID("user_app_id.user_id", id); err != nil {
			return err
		}
		if !r.OrgOK {
			return clavis.UserNotFound(id)
		}
		role, grant, err := z.orgGrant(ctx, p.UserID, id)
		if err != nil {
			return err
		}
		acc.Role, acc.Grant = role, grant
	}
	acc.Scopes = p.Scopes.Intersect(acc.Grant)
	return nil
}

// orgAccess resolves the caller's membership of the request's organization
// and checks the role the rule asks for. Non-members get the answer a
// missing organization gets.
func (z *Authorizer) orgAccess(ctx context.Context, acc *Access, r Rule, req Request) error {
	p := acc.Principal
	if err := clavis.CheckID("org_id", req.OrgID); err != nil {
		return err
	}
	m, err := z.member(ctx, req.OrgID, p.UserID)
	if err != nil {
		return err
	}
	acc.Org = m
	admin := m.Role == clavis.RoleAdmin
	switch r.Org {
	case OrgAdmin:
		if !admin {
			return clavis.Errorf(clavis.EForbidden, "only admins of organization %q can call %s", req.OrgID, shortName(acc.Method))
		}
	case OrgSelfOrAdmin:
		if req.MemberID == p.UserID {
			break
		}
		if !admin {
			return clavis.Errorf(clavis.EForbidden, "only admins of organization %q can act on other members; a member may act only on their own membership", req.OrgID)
		}
		if !p.Scopes.IsAll() {
			return clavis.Errorf(clavis.EForbidden, "missing scopes %s for %s on another member", clavis.ScopeAll, shortName(acc.Method))
		}
	}
	return nil
}

// member returns the membership of userID in orgID, or the answer a missing
// organization gets when there is none.
func (z *Authorizer) member(ctx context.Context, orgID, userID string) (*clavis.OrgMember, error) {
	if _, err := z.store.Orgs().GetOrg(ctx, orgID); err != nil {
		return nil, err
	}
	m, err := z.store.Orgs().GetMember(ctx, orgID, userID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, clavis.OrgNotFound(orgID)
	}
	return m, err
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
// gets. App keys never reach beyond their own app, public or not. The app
// returned is the caller's to change.
func (z *Authorizer) AppGrant(ctx context.Context, p *clavis.Principal, ref clavis.AppRef) (*clavis.App, Role, clavis.ScopeSet, error) {
	if z.cache == nil {
		return z.appGrant(ctx, p, ref)
	}
	k := grantKey{user: p.UserID, app: ref, appKey: p.App != nil}
	e, gen := z.cache.lookup(k)
	if e == nil {
		e = &grantEntry{key: k, loadedAt: z.cache.now()}
		app, role, grant, err := z.appGrant(ctx, p, ref)
		switch {
		case err == nil:
			e.app, e.role, e.grant = *app, role, grant
		case clavis.ErrorCode(err) == clavis.ENotFound:
			// Missing and invisible apps are cached alike, so that a
			// refusal's time says no more than its words.
			e.miss, e.err = true, err
		default:
			return nil, "", clavis.ScopeSet{}, err
		}
		z.cache.store(e, gen)
	}
	if e.miss {
		return nil, "", clavis.ScopeSet{}, e.err
	}
	app := e.app
	return &app, e.role, e.grant, nil
}

// appGrant is AppGrant read from the store.
func (z *Authorizer) appGrant(ctx context.Context, p *clavis.Principal, ref clavis.AppRef) (*clavis.App, Role, clavis.ScopeSet, error) {
	app, err := z.store.Apps().GetApp(ctx, ref)
	missing := clavis.ErrorCode(err) == clavis.ENotFound
	if err != nil && !missing {
		return nil, "", clavis.ScopeSet{}, err
	}
	if !missing && app.OwnerID == p.UserID {
		return app, RoleOwner, clavis.AllScopes(), nil
	}
	// From here on, a missing app costs the lookups of one the caller
	// cannot see, made alike (by ref, with an app id that matches
	// nothing), so that the time of the refusal says no more than its
	// words whether the app exists.
	var appID string
	if !missing {
		appID = app.ID
	}
	var role Role
	var grant clavis.ScopeSet
	if _, err := z.store.Orgs().GetOrg(ctx, ref.OwnerID); err == nil {
		m, err := z.store.Orgs().GetMember(ctx, ref.OwnerID, p.UserID)
		switch {
		case clavis.ErrorCode(err) == clavis.ENotFound:
		case err != nil:
			return nil, "", clavis.ScopeSet{}, err
		case m.Role == clavis.RoleAdmin:
			if missing {
				// An admin of the org may know all of its apps.
				return nil, "", clavis.ScopeSet{}, clavis.AppNotFound(ref)
			}
			return app, RoleOrgAdmin, clavis.AllScopes(), nil
		case m.Role == clavis.RoleContributor:
			role, grant = RoleOrgContributor, m.Scopes
		case m.Role == clavis.RoleTeamContributor:
			sc, found, err := z.store.Orgs().TeamScopes(ctx, ref.OwnerID, p.UserID, appID)
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
	if !missing && p.App == nil && app.Visibility == clavis.VisibilityPublic {
		if role == "" {
			role = RolePublic
		}
		grant = grant.Union(PublicGrant)
	}
	if missing || role == "" {
		return nil, "", clavis.ScopeSet{}, clavis.AppNotFound(ref)
	}
	return app, role, grant, nil
}

// ManagedApp returns an app that p's user manages (see Role.Manages) and
// the user's grant on it, for an action that takes the app ("create keys
// for"). It returns ENotFound for an app the user cannot see, and EForbidden
// for one the user can see but not manage.
func (z *Authorizer) ManagedApp(ctx context.Context, p *clavis.Principal, ref clavis.AppRef, action string) (*clavis.App, clavis.ScopeSet, error) {
	app, role, grant, err := z.AppGrant(ctx, p, ref)
	if err != nil {
		return nil, clavis.ScopeSet{}, err
	}
	if !role.Manages() {
		return nil, clavis.ScopeSet{}, z.notManager(ctx, ref, action)
	}
	return app, grant, nil
}

// notManager is the refusal of a caller who can see an app but not manage
// it, saying who can do the action, a phrase that takes the app ("create
// keys for").
func (z *Authorizer) notManager(ctx context.Context, ref clavis.AppRef, action string) error {
	if _, err := z.store.Orgs().GetOrg(ctx, ref.OwnerID); err == nil {
		return clavis.Errorf(clavis.EForbidden, "only admins and contributors of organization %q can %s app %s", ref.OwnerID, action, ref)
	}
	return clavis.Errorf(clavis.EForbidden, "only the owner of app %s can %s it", ref, action)
}

// orgGrant resolves what a user may do on an organization account itself
// (listing and creating its apps): admins everything, org contributors their
// scopes, team contributors reading. Non-members get the answer a missing
// user gets.
func (z *Authorizer) orgGrant(ctx context.Context, userID, orgID string) (Role, clavis.ScopeSet, error) {
	m, err := z.member(ctx, orgID, userID)
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

// CheckGrantable refuses scopes a caller does not hold: nobody grants more
// than they may do themselves (collaborators, members, teams, keys). held is
// what the caller may do where the grant applies; the EForbidden error names
// the scopes missing.
func CheckGrantable(held, scopes clavis.ScopeSet) error {
	if missing := scopes.Minus(held); !missing.IsEmpty() {
		return clavis.Errorf(clavis.EForbidden, "cannot grant scopes the calling credential does not hold here: %s", strings.Join(missing.Names(), ", "))
	}
	return nil
}

// CheckKeyGrant decides whether p may create or change a key with these
// scopes, endpoints and expiry: within held (p's effective scopes where the
// key applies), within p's own endpoint limits, and expiring no later than
// p. It returns EForbidden saying what would escalate.
func CheckKeyGrant(p *clavis.Principal, held, scopes clavis.ScopeSet, endpoints []string, expires time.Time) error {
	if err := CheckGrantable(held, scopes); err != nil {
		return err
	}
	if len(p.Endpoints) > 0 {
		if len(endpoints) == 0 {
			return clavis.Errorf(clavis.EForbidden, "the calling credential is limited to endpoints; the new key must list endpoints within them")
		}
		for _, e := range endpoints {
			if !slices.Contains(p.Endpoints, e) {
				return clavis.Errorf(clavis.EForbidden, "cannot grant endpoint %s, which the calling credential does not hold", e)
			}
		}
	}
	if !p.ExpiresAt.IsZero() && (expires.IsZero() || expires.After(p.ExpiresAt)) {
		return clavis.Errorf(clavis.EForbidden, "the calling credential expires at %s; a key it creates must set expires_at no later", p.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

func shortName(method string) string {
	if i := strings.LastIndexByte(method, '/'); i >= 0 {
		return method[i+1:]
	}
	return method
}
