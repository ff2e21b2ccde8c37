package auth

import (
	"sort"

	"github.com/clavis-dev/clavis/clavis"
)

// AuthType says which credentials a method accepts.
type AuthType int

// Auth types, after Clarifai's cl_auth_type.
const (
	// KeyAuth accepts PATs and app keys.
	KeyAuth AuthType = iota + 1
	// PATAuth accepts Personal Access Tokens only.
	PATAuth
	// AdminAuth accepts PATs of admin users only.
	AdminAuth
	// NoAuth methods take no credentials and ignore any given: revoking a
	// leaked token by its value is open to anyone who holds it.
	NoAuth
)

// Target says what a method acts on, and so how its request's user_app_id is
// read.
type Target int

// Targets.
const (
	// TargetApp methods act on one app, named by user_app_id (or implied by
	// an app key).
	TargetApp Target = iota + 1
	// TargetUser methods act on a user's own resources, named by
	// user_app_id.user_id ("me" or empty for the caller).
	TargetUser
	// TargetOrg methods act on an organization, named by the request's
	// org_id; the caller must be a member, with the role the rule's Org
	// says.
	TargetOrg
	// TargetInstance methods act on the instance (admin service) or on no
	// particular resource.
	TargetInstance
)

// OrgRole says which members of an organization may call a TargetOrg method.
type OrgRole int

// Organization requirements.
const (
	// OrgMember: every member.
	OrgMember OrgRole = iota
	// OrgAdmin: admins only.
	OrgAdmin
	// OrgSelfOrAdmin: a member acting on their own membership (the
	// request's member is the caller), or an admin acting on anyone's with
	// a PAT holding All, as for OrgAdmin methods that change members.
	OrgSelfOrAdmin
)

// Rule is the authorization rule of one method.
type Rule struct {
	Auth   AuthType
	Target Target
	Scopes clavis.ScopeSet // required, all of them
	// OrgOK marks TargetUser methods that may also name an organization
	// the caller belongs to (its apps), not only the caller.
	OrgOK bool
	// Manage marks TargetApp methods that change the app itself or its
	// keys: only those who manage it may call them (see Role.Manages),
	// whatever their scopes.
	Manage bool
	// Org says which members may call a TargetOrg method.
	Org OrgRole
}

const (
	v2     = "/clarifai.api.V2/"
	orgs   = "/clavis.orgs.v1.Orgs/"
	tokens = "/clavis.tokens.v1.Tokens/"
)

func rule(a AuthType, t Target, scopes ...string) Rule {
	return Rule{Auth: a, Target: t, Scopes: clavis.MustScopes(scopes...)}
}

func orgOK(r Rule) Rule { r.OrgOK = true; return r }

func manage(r Rule) Rule { r.Manage = true; return r }

func org(who OrgRole, scopes ...string) Rule {
	r := rule(PATAuth, TargetOrg, scopes...)
	r.Org = who
	return r
}

// modelRead is what reading a model needs.
var modelRead = []string{"Apps:Get", "Concepts:Get", "Models:Get"}

// Rules maps the full name of every method Clavis serves to its rule. A
// method missing here is refused (deny by default); a test checks that
// every method of the generated service descriptors has a rule.
var Rules = map[string]Rule{
	v2 + "PostModelOutputs":   rule(KeyAuth, TargetApp, append(modelRead, "Predict")...),
	v2 + "GetModel":           rule(KeyAuth, TargetApp, modelRead...),
	v2 + "GetModelOutputInfo": rule(KeyAuth, TargetApp, modelRead...),
	v2 + "ListModels":         rule(KeyAuth, TargetApp, modelRead...),
	v2 + "GetModelVersion":    rule(KeyAuth, TargetApp, modelRead...),
	v2 + "ListModelVersions":  rule(KeyAuth, TargetApp, modelRead...),

	v2 + "PostApps":  orgOK(rule(PATAuth, TargetUser, "Apps:Add", "Apps:Get", "Models:Get", "Workflows:Get", "Workflows:Add")),
	v2 + "GetApp":    rule(KeyAuth, TargetApp, "Apps:Get", "Workflows:Get"),
	v2 + "ListApps":  orgOK(rule(PATAuth, TargetUser, "Apps:Get", "Workflows:Get")),
	v2 + "PatchApps": orgOK(rule(PATAuth, TargetUser, "Apps:Add", "Apps:Get")),
	v2 + "PatchApp":  manage(rule(PATAuth, TargetApp, "Apps:Add", "Apps:Get")),
	v2 + "DeleteApp": manage(rule(PATAuth, TargetApp, "Apps:Add", "Apps:Delete", "Apps:Get", "Workflows:Get")),

	v2 + "PostKeys":    rule(PATAuth, TargetUser, "Apps:Get", "Keys:Add", "Keys:Get"),
	v2 + "GetKey":      rule(PATAuth, TargetUser, "Keys:Get"),
	v2 + "ListKeys":    rule(PATAuth, TargetUser, "Keys:Get"),
	v2 + "ListAppKeys": manage(rule(PATAuth, TargetApp, "Apps:Get", "Keys:Get")),
	v2 + "PatchKeys":   rule(PATAuth, TargetUser, "Keys:Add", "Keys:Get"),
	v2 + "DeleteKey":   rule(PATAuth, TargetUser, "Keys:Add", "Keys:Delete", "Keys:Get"),

	v2 + "MyScopes":     rule(KeyAuth, TargetApp),
	v2 + "MyScopesUser": rule(PATAuth, TargetUser),
	v2 + "ListScopes":   rule(PATAuth, TargetUser),
	v2 + "GetUser":      rule(PATAuth, TargetUser),

	v2 + "PostAuditLogSearches": rule(PATAuth, TargetInstance, "AuditLogs:Get"),

	v2 + "ListCollaborators":   rule(KeyAuth, TargetApp, "Apps:Get", "Collaborators:Get"),
	v2 + "PostCollaborators":   rule(KeyAuth, TargetApp, "Apps:Get", "Collaborators:Add", "Collaborators:Get"),
	v2 + "PatchCollaborators":  rule(KeyAuth, TargetApp, "Apps:Get", "Collaborators:Add", "Collaborators:Get", "Collaborators:Delete"),
	v2 + "DeleteCollaborators": rule(KeyAuth, TargetApp, "Apps:Get", "Collaborators:Add", "Collaborators:Get", "Collaborators:Delete"),
	v2 + "ListCollaborations":  rule(PATAuth, TargetUser, "Apps:Get", "Collaborators:Get"),

	v2 + "PostInputs":         rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get", "Predict", "Workflows:Get"),
	v2 + "ListInputs":         rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"),
	v2 + "GetInput":           rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"),
	v2 + "DeleteInput":        rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Inputs:Add", "Inputs:Delete", "Inputs:Get", "Models:Get", "Workflows:Get"),
	v2 + "DeleteInputs":       rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Inputs:Add", "Inputs:Delete", "Inputs:Get", "Models:Get", "Workflows:Get"),
	v2 + "PatchInputs":        rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Inputs:Add", "Inputs:Get", "Models:Get"),
	v2 + "GetInputCount":      rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get"),
	v2 + "GetInputsAddJob":    rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get"),
	v2 + "ListInputsAddJobs":  rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get"),
	v2 + "CancelInputsAddJob": rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Add", "Inputs:Get"),

	v2 + "PostAnnotations":   rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Models:Get", "Workflows:Get"),
	v2 + "ListAnnotations":   rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get", "Annotations:Get", "Concepts:Get", "Models:Get"),
	v2 + "PatchAnnotations":  rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Get", "Concepts:Get", "Workflows:Get", "Models:Get"),
	v2 + "DeleteAnnotation":  rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Workflows:Get", "Models:Get"),
	v2 + "DeleteAnnotations": rule(KeyAuth, TargetApp, "Apps:Get", "Inputs:Get", "Annotations:Add", "Annotations:Delete", "Annotations:Get", "Workflows:Get", "Models:Get"),

	v2 + "PostInputsSearches":      rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "SavedSearch:Get"),
	v2 + "PostAnnotationsSearches": rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "Models:Get", "Search", "Workflows:Get"),
	v2 + "PostSearches":            rule(KeyAuth, TargetApp, "Apps:Get", "Annotations:Get", "Concepts:Get", "Inputs:Get", "Models:Get", "Search", "Workflows:Get"),

	v2 + "ListConcepts":  rule(KeyAuth, TargetApp, "Apps:Get", "Concepts:Get"),
	v2 + "GetConcept":    rule(KeyAuth, TargetApp, "Apps:Get", "Concepts:Get"),
	v2 + "PostConcepts":  rule(KeyAuth, TargetApp, "Apps:Get", "Concepts:Add", "Concepts:Get"),
	v2 + "PatchConcepts": rule(KeyAuth, TargetApp, "Apps:Get", "Concepts:Add", "Concepts:Get"),

	// Organizations: changes need a PAT holding All; reading needs
	// membership.
	orgs + "CreateOrg":    rule(PATAuth, TargetInstance, clavis.ScopeAll),
	orgs + "ListOrgs":     rule(PATAuth, TargetInstance),
	orgs + "GetOrg":       org(OrgMember),
	orgs + "ListMembers":  org(OrgMember),
	orgs + "GetTeam":      org(OrgMember),
	orgs + "ListTeams":    org(OrgMember),
	orgs + "RemoveMember": org(OrgSelfOrAdmin),
	orgs + "DeleteOrg":    org(OrgAdmin, clavis.ScopeAll),
	orgs + "PutMember":    org(OrgAdmin, clavis.ScopeAll),
	orgs + "PutTeam":      org(OrgAdmin, clavis.ScopeAll),
	orgs + "DeleteTeam":   org(OrgAdmin, clavis.ScopeAll),
	orgs + "GetKeyPolicy": org(OrgAdmin),
	orgs + "SetKeyPolicy": org(OrgAdmin, clavis.ScopeAll),

	"/clavis.admin.v1.Admin/CreateUser":  rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/ListUsers":   rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/DisableUser": rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/EnableUser":  rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/DeleteUser":  rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/SetPassword": rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/ListAllKeys": rule(AdminAuth, TargetInstance, clavis.ScopeAll),
	"/clavis.admin.v1.Admin/RevokeKeys":  rule(AdminAuth, TargetInstance, clavis.ScopeAll),

	"/clavis.account.v1.Account/ChangePassword": rule(PATAuth, TargetUser, clavis.ScopeAll),

	// Token lifecycle: the audit log, rotation, revocation by value.
	tokens + "SearchAudit": rule(PATAuth, TargetInstance, "AuditLogs:Get"),
	tokens + "RotateKey":   rule(PATAuth, TargetUser, "Keys:Add", "Keys:Get"),
	// Anyone holding a leaked token may revoke it (docs/tokens.md).
	tokens + "RevokeCredentials": {Auth: NoAuth, Target: TargetInstance},
}

// Endpoints returns the full names of the Clarifai V2 methods Clavis serves,
// sorted; they are the valid endpoint scopes of a key.
func Endpoints() []string {
	var out []string
	for m := range Rules {
		if len(m) > len(v2) && m[:len(v2)] == v2 {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// CheckEndpoints returns an EInvalid error naming any endpoint that is not
// one of Endpoints.
func CheckEndpoints(endpoints []string) error {
	for _, e := range endpoints {
		if r, ok := Rules[e]; !ok || r.Auth == AdminAuth {
			return clavis.Errorf(clavis.EInvalid, "unknown endpoint %q: endpoints are full method names such as %sPostModelOutputs", e, v2)
		}
	}
	return nil
}
