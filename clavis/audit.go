package clavis

import (
	"context"
	"time"
)

// AuditEvent names what an audit entry records. The set is closed; the
// strings are stable, as entries keep them.
type AuditEvent string

// Audit events. Key events name the key by its public id, never by its
// secret.
const (
	AuditKeyCreate       AuditEvent = "key.create"
	AuditKeyPatch        AuditEvent = "key.patch"
	AuditKeyRotate       AuditEvent = "key.rotate"
	AuditKeyDelete       AuditEvent = "key.delete"
	AuditKeyExpire       AuditEvent = "key.expire"       // a key reached its expiry
	AuditKeyRevoke       AuditEvent = "key.revoke"       // revoked by value, by anyone holding its secret
	AuditKeyRevokeBulk   AuditEvent = "key.revoke_bulk"  // an admin revoked every key of a user, app or org
	AuditKeyRotatedOut   AuditEvent = "key.rotated_out"  // a rotated-out key used after its grace period
	AuditAuthFailures    AuditEvent = "auth.failures"    // failed credential checks, aggregated per key and address
	AuditLogin           AuditEvent = "login"            // a portal log-in; Success false for a failed one
	AuditPasswordChange  AuditEvent = "password.change"  // a user changed their own password
	AuditCollaboratorAdd AuditEvent = "collaborator.add" // a grant on an app given
	AuditCollaboratorSet AuditEvent = "collaborator.update"
	AuditCollaboratorDel AuditEvent = "collaborator.remove"
	AuditMemberAdd       AuditEvent = "org.member.add"
	AuditMemberChange    AuditEvent = "org.member.change"
	AuditMemberRemove    AuditEvent = "org.member.remove"
	AuditTeamCreate      AuditEvent = "org.team.create"
	AuditTeamUpdate      AuditEvent = "org.team.update" // a team replaced
	AuditTeamDelete      AuditEvent = "org.team.delete"
	AuditOrgCreate       AuditEvent = "org.create"
	AuditOrgDelete       AuditEvent = "org.delete"
	AuditOrgKeyPolicy    AuditEvent = "org.key_policy" // an org admin set the org's key policy
	AuditAppCreate       AuditEvent = "app.create"
	AuditAppUpdate       AuditEvent = "app.update"
	AuditAppDelete       AuditEvent = "app.delete"
	AuditUserCreate      AuditEvent = "user.create"   // admin action
	AuditUserDisable     AuditEvent = "user.disable"  // admin action
	AuditUserEnable      AuditEvent = "user.enable"   // admin action
	AuditUserDelete      AuditEvent = "user.delete"   // admin action
	AuditUserPassword    AuditEvent = "user.password" // an admin set a user's password
	AuditUserSignup      AuditEvent = "user.signup"
)

// AuditEvents lists every audit event.
var AuditEvents = []AuditEvent{
	AuditKeyCreate, AuditKeyPatch, AuditKeyRotate, AuditKeyDelete, AuditKeyExpire, AuditKeyRevoke, AuditKeyRevokeBulk,
	AuditKeyRotatedOut, AuditAuthFailures, AuditLogin, AuditPasswordChange,
	AuditCollaboratorAdd, AuditCollaboratorSet, AuditCollaboratorDel,
	AuditMemberAdd, AuditMemberChange, AuditMemberRemove, AuditTeamCreate, AuditTeamUpdate, AuditTeamDelete, AuditOrgCreate, AuditOrgDelete, AuditOrgKeyPolicy,
	AuditAppCreate, AuditAppUpdate, AuditAppDelete,
	AuditUserCreate, AuditUserDisable, AuditUserEnable, AuditUserDelete, AuditUserPassword, AuditUserSignup,
}

// AuditEntry is one recorded event: who did what, when, from where. It
// never holds a secret: keys are named by their public id.
type AuditEntry struct {
	ID      string // time-ordered, unique
	At      time.Time
	Event   AuditEvent
	Success bool
	// ActorID is the user who acted ("" for an anonymous caller, such as
	// one revoking a key by value); ActorKeyID the key they used ("" for a
	// portal session).
	ActorID    string
	ActorKeyID string
	// SubjectID is the user the event concerns: the owner of a key, the
	// user an admin acted on, the collaborator or member. Users see the
	// entries where they are the actor or the subject.
	SubjectID string
	KeyID     string  // the key acted on
	OrgID     string  // the organization acted on
	App       *AppRef // the app acted on
	Details   string  // human-readable, without secrets
	SourceIP  string  // the client address as the server saw it
	ReqID     string
	// Count is how many events the entry stands for: 1, or the failures of
	// an AuditAuthFailures entry between At and Until.
	Count int
	Until time.Time
}

// AuditFilter selects audit entries. Zero fields select everything; the
// fields that are set must all match.
type AuditFilter struct {
	// Concerns selects the entries whose actor or subject is this user.
	Concerns string
	// OrgID selects the entries about this organization.
	OrgID string
	// ActorIDs selects the entries whose actor is one of these users.
	ActorIDs []string
	Since    time.Time // at or after
	Until    time.Time // before
	Events   []AuditEvent
	Success  *bool
	// SourceIPs selects entries from one of these addresses.
	SourceIPs []string
	KeyID     string
	// Ascending orders oldest first; the default is newest first.
	Ascending bool
}

// AuditStore stores the audit log. It is append-only: entries are never
// changed, and are deleted only when older than the retention period.
type AuditStore interface {
	// AppendAudit stores new entries, all or none. It returns EConflict
	// when an id is taken.
	AppendAudit(ctx context.Context, entries ...*AuditEntry) error
	// ListAudit lists the entries matching f, ordered by time (then id).
	ListAudit(ctx context.Context, f AuditFilter, page Page) ([]*AuditEntry, error)
	// PurgeAudit deletes up to limit entries older than before, oldest
	// first, and returns how many it deleted.
	PurgeAudit(ctx context.Context, before time.Time, limit int) (int, error)
}
