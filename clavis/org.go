package clavis

import "time"

// Collaborator is a user granted scopes on an app of someone else.
type Collaborator struct {
	ID        string // public id of the grant
	App       AppRef
	UserID    string
	Scopes    ScopeSet
	Endpoints []string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt time.Time // set when removed; removed grants grant nothing
}

// Org is an organization: an account that owns apps and has members. Orgs
// and users share one id namespace.
type Org struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OrgRole is a member's role in an organization.
type OrgRole string

// Organization roles.
const (
	// RoleAdmin may do everything in the org and on all its apps.
	RoleAdmin OrgRole = "admin"
	// RoleContributor may use all org apps with the member's scopes.
	RoleContributor OrgRole = "org_contributor"
	// RoleTeamContributor may use only the apps of their teams, with each
	// team's scopes.
	RoleTeamContributor OrgRole = "team_contributor"
)

// Valid reports whether r is a known role.
func (r OrgRole) Valid() bool {
	return r == RoleAdmin || r == RoleContributor || r == RoleTeamContributor
}

// OrgMember is a user's membership of an org.
type OrgMember struct {
	OrgID     string
	UserID    string
	Role      OrgRole
	Scopes    ScopeSet // for RoleContributor: what they may do on org apps
	CreatedAt time.Time
}

// Team is a group of org members given scopes on some org apps.
type Team struct {
	OrgID     string
	ID        string
	Name      string
	Scopes    ScopeSet
	Members   []string // user ids
	Apps      []string // app ids of the org
	CreatedAt time.Time
}

// OrgKeyPolicy is an organization's expiry policy for the keys it governs:
// the PATs of its members and the app keys of its apps. The stricter of it
// and the instance's policy applies.
type OrgKeyPolicy struct {
	OrgID string
	// PATMaxLifetime and AppKeyMaxLifetime bound how long after creation
	// a key may expire; 0 means no bound (a bound also requires expiry).
	PATMaxLifetime, AppKeyMaxLifetime time.Duration
	// PATExpiryRequired and AppKeyExpiryRequired refuse keys that never
	// expire.
	PATExpiryRequired, AppKeyExpiryRequired bool
	// StopAt, when set, is the date from which keys that broke the policy
	// when it was set stop working; zero lets them work until their own
	// expiry.
	StopAt    time.Time
	UpdatedAt time.Time
}
