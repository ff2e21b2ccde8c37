package clavis

import (
	"context"
	"time"
)

// Page selects one page of a list. Number counts from 1; Size is at most
// MaxPageSize. The zero value is the first page of DefaultPageSize.
type Page struct {
	Number int
	Size   int
}

// Page sizes.
const (
	DefaultPageSize = 128
	MaxPageSize     = 1000
)

// NewPage returns the page a request asks for: 0 means the default, and a
// size over MaxPageSize is capped.
func NewPage(number, size uint32) Page {
	p := Page{Number: int(number), Size: int(size)}
	if p.Number < 1 {
		p.Number = 1
	}
	if p.Size < 1 {
		p.Size = DefaultPageSize
	}
	if p.Size > MaxPageSize {
		p.Size = MaxPageSize
	}
	return p
}

// Limit returns the page's size, normalising the zero value.
func (p Page) Limit() int { return NewPage(uint32(p.Number), uint32(p.Size)).Size }

// Offset returns how many items come before the page.
func (p Page) Offset() int {
	n := NewPage(uint32(p.Number), uint32(p.Size))
	return (n.Number - 1) * n.Size
}

// PageOf returns the items of page p of a list held in memory.
func PageOf[T any](items []T, p Page) []T {
	lo := min(p.Offset(), len(items))
	return items[lo:min(lo+p.Limit(), len(items))]
}

// All returns every item of a paged list: it calls list for pages of
// MaxPageSize, from the first, until one comes back short. It is the one way
// to read a whole list; it returns the first error list returns.
func All[T any](list func(Page) ([]T, error)) ([]T, error) {
	var all []T
	for n := 1; ; n++ {
		items, err := list(Page{Number: n, Size: MaxPageSize})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < MaxPageSize {
			return all, nil
		}
	}
}

// Errors of every store method: a failure of the database itself, or a
// cancelled ctx, is an EInternal error whose cause stays in the log. The
// errors each method documents besides come as *Error with the codes named.

// UserStore stores users: people and the system account. Organizations share
// the id namespace of users but are not users here.
type UserStore interface {
	// CreateUser stores a new user. The e-mail address is stored trimmed and
	// in lower case; an empty one is no address. It returns EConflict when a
	// user or organization has the id, or a user the address.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with the id, or ENotFound (also for an
	// organization's id).
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail returns the user with the e-mail address, compared
	// without regard to case and surrounding space, or ENotFound.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers lists users other than the system account, ordered by id.
	ListUsers(ctx context.Context, page Page) ([]*User, error)
	// UpdateUser saves the e-mail address, names, admin and disabled flags
	// and UpdatedAt of u. It returns ENotFound for a missing user and
	// EConflict when another user has the address.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user with its apps, keys, grants and
	// memberships, or returns ENotFound.
	DeleteUser(ctx context.Context, id string) error
}

// AppStore stores apps.
type AppStore interface {
	// CreateApp stores a new app. It returns EConflict when its owner
	// already has an app with the id; an owner that does not exist is an
	// error of the caller (EInternal).
	CreateApp(ctx context.Context, a *App) error
	// GetApp returns an app, or ENotFound.
	GetApp(ctx context.Context, ref AppRef) (*App, error)
	// ListApps lists the apps of one owner (a user or an organization),
	// ordered by id.
	ListApps(ctx context.Context, ownerID string, page Page) ([]*App, error)
	// CountApps returns the number of apps of one owner.
	CountApps(ctx context.Context, ownerID string) (int, error)
	// UpdateApp saves the name, description, language, notes, visibility
	// and UpdatedAt of a, or returns ENotFound.
	UpdateApp(ctx context.Context, a *App) error
	// DeleteApp deletes the app with its keys and grants, or returns
	// ENotFound. Its data (inputs, annotations, concepts, jobs) is hidden
	// at once and removed by InputStore.PurgeDeleted.
	DeleteApp(ctx context.Context, ref AppRef) error
}

// KeyFilter selects keys in ListKeys. Zero fields select everything; the
// fields that are set must all match.
type KeyFilter struct {
	UserID       string
	App          *AppRef
	Type         KeyType
	NotExpiredAt time.Time // when set, only keys not expired at this time
	Scopes       ScopeSet  // only keys holding every one of these scopes
	Endpoints    []string  // only keys limited to every one of these endpoints
	// LastUsedBefore, when set, selects keys last used before it (not
	// those never used); NeverUsed selects keys never used.
	LastUsedBefore time.Time
	NeverUsed      bool
	// AppOwnerID selects the app keys of every app of this owner.
	AppOwnerID string
	// ExpiredAt, when set, selects keys expired at this time.
	ExpiredAt time.Time
	// UnusedSince, when set, selects keys not used since it: last used
	// before it, or never.
	UnusedSince time.Time
	// CreatedBefore, when set, selects keys created before it.
	CreatedBefore time.Time
}

// KeyStore stores keys. Digests are unique: no two keys share a token.
type KeyStore interface {
	// CreateKey stores a new key. It returns EConflict when its id or
	// digest is taken, and ENotFound when its user or app does not exist.
	CreateKey(ctx context.Context, k *Key) error
	// CreateKeys stores new keys, all or none, in a few statements; its
	// errors are CreateKey's.
	CreateKeys(ctx context.Context, ks []*Key) error
	// GetKey returns the key with the public id, or ENotFound.
	GetKey(ctx context.Context, id string) (*Key, error)
	// GetUserKey returns the key with the public id if it is userID's;
	// another user's key is ENotFound, as a missing one, found by the same
	// lookup.
	GetUserKey(ctx context.Context, userID, id string) (*Key, error)
	// GetUserKeyByDigest is GetKeyByDigest for userID's keys only, as
	// GetUserKey is GetKey.
	GetUserKeyByDigest(ctx context.Context, userID string, digest []byte) (*Key, error)
	// GetKeyByDigest returns the key whose token has the digest, or
	// ENotFound.
	GetKeyByDigest(ctx context.Context, digest []byte) (*Key, error)
	// ListKeys lists the keys matching f, newest first.
	ListKeys(ctx context.Context, f KeyFilter, page Page) ([]*Key, error)
	// CountKeys returns the number of keys of one user, expired or not:
	// PATs and app keys.
	CountKeys(ctx context.Context, userID string) (int, error)
	// UpdateKey saves the description, scopes, endpoints, expiry, rotation
	// (ReplacedBy, RotatedAt) and allowlist of k, or returns ENotFound.
	UpdateKey(ctx context.Context, k *Key) error
	// DeleteKey deletes the key with the public id, or returns ENotFound.
	DeleteKey(ctx context.Context, id string) error
	// DeleteKeys deletes every key matching f, which must select by user,
	// app or app owner, all at once, and returns them.
	DeleteKeys(ctx context.Context, f KeyFilter) ([]*Key, error)
	// TouchKeys records when and from where keys were last used, all in
	// one transaction. A use earlier than the one recorded is ignored, and
	// so is a missing key.
	TouchKeys(ctx context.Context, uses map[string]KeyUse) error
}

// CollaboratorStore stores collaborator grants. A user has at most one
// grant per app; removing one keeps it, with DeletedAt set.
type CollaboratorStore interface {
	// PutCollaborator creates or replaces (and revives) the grant of
	// c.UserID on c.App. It returns ENotFound when the user or app does not
	// exist, and EConflict when another grant has the id.
	PutCollaborator(ctx context.Context, c *Collaborator) error
	// GetCollaborator returns the active grant of a user on an app, or
	// ENotFound.
	GetCollaborator(ctx context.Context, app AppRef, userID string) (*Collaborator, error)
	// GetCollaboratorByID returns the active grant with the public id on
	// an app, or ENotFound.
	GetCollaboratorByID(ctx context.Context, app AppRef, id string) (*Collaborator, error)
	// ListCollaborators lists the grants on an app, ordered by user id;
	// removed ones only when withDeleted.
	ListCollaborators(ctx context.Context, app AppRef, withDeleted bool, page Page) ([]*Collaborator, error)
	// ListCollaborations lists the active grants of a user, ordered by app.
	ListCollaborations(ctx context.Context, userID string, page Page) ([]*Collaborator, error)
	// RemoveCollaborator marks the active grant of a user on an app removed
	// at the given time, or returns ENotFound when there is none.
	RemoveCollaborator(ctx context.Context, app AppRef, userID string, at time.Time) error
}

// OrgStore stores organizations, their members and teams. An org's id is
// taken in the namespace shared with users.
type OrgStore interface {
	// CreateOrg stores a new organization. It returns EConflict when a user
	// or organization has the id.
	CreateOrg(ctx context.Context, o *Org) error
	// GetOrg returns an organization, or ENotFound (also for a user's id).
	GetOrg(ctx context.Context, id string) (*Org, error)
	// ListOrgs lists the organizations a user is a member of, ordered by id.
	ListOrgs(ctx context.Context, userID string, page Page) ([]*Org, error)
	// DeleteOrg deletes an organization with its apps, their keys and
	// grants, its members and teams, or returns ENotFound.
	DeleteOrg(ctx context.Context, id string) error

	// GetKeyPolicy returns an organization's key policy, or ENotFound when
	// it has none.
	GetKeyPolicy(ctx context.Context, orgID string) (*OrgKeyPolicy, error)
	// PutKeyPolicy creates or replaces an organization's key policy; it
	// returns ENotFound when the organization does not exist.
	PutKeyPolicy(ctx context.Context, p *OrgKeyPolicy) error
	// ListKeyPolicies returns the key policies of the organizations a user
	// is a member of, ordered by org id.
	ListKeyPolicies(ctx context.Context, userID string) ([]*OrgKeyPolicy, error)

	// PutMember creates or replaces a membership (its CreatedAt is kept on
	// replace). It returns ENotFound when the org or user does not exist.
	PutMember(ctx context.Context, m *OrgMember) error
	// GetMember returns a membership, or ENotFound.
	GetMember(ctx context.Context, orgID, userID string) (*OrgMember, error)
	// ListMembers lists an organization's members, ordered by user id.
	ListMembers(ctx context.Context, orgID string, page Page) ([]*OrgMember, error)
	// CountMembers counts an organization's members of a role, or all of
	// them when role is empty.
	CountMembers(ctx context.Context, orgID string, role OrgRole) (int, error)
	// RemoveMember removes a membership and the user from the org's teams,
	// or returns ENotFound.
	RemoveMember(ctx context.Context, orgID, userID string) error

	// PutTeam creates or replaces a team with its members and apps, all or
	// nothing. It returns ENotFound naming the org, a member who is not a
	// member of the org, or an app the org does not own.
	PutTeam(ctx context.Context, t *Team) error
	// GetTeam returns a team with its members and apps, or ENotFound.
	GetTeam(ctx context.Context, orgID, id string) (*Team, error)
	// ListTeams lists an organization's teams, ordered by id.
	ListTeams(ctx context.Context, orgID string, page Page) ([]*Team, error)
	// DeleteTeam deletes a team, or returns ENotFound.
	DeleteTeam(ctx context.Context, orgID, id string) error
	// TeamScopes returns the union of the scopes of the teams of orgID that
	// have both the user as member and the app, and whether any does.
	TeamScopes(ctx context.Context, orgID, userID, appID string) (ScopeSet, bool, error)
}

// InputStore stores the inputs of apps, the references of their blobs, and
// the add jobs that follow them. An app's data lives in its storage space
// (see BlobKey), which the store creates when the app first stores data;
// deleting the app (or its owner) hides the space's data at once, and
// PurgeDeleted removes it in batches. Methods that write to an app return
// ENotFound for an app that does not exist; reads find nothing in it.
type InputStore interface {
	// CreateInputs stores new inputs of one app, all or none. Inputs with a
	// Blob must reference a blob of the app (ReserveBlobs); an AddJobID
	// must name an add job of the app (PutAddJob). It returns
	// EInputDuplicate naming the first id the app already has.
	CreateInputs(ctx context.Context, app AppRef, ins []*StoredInput) error
	// GetInput returns an input of an app, or InputNotFound.
	GetInput(ctx context.Context, app AppRef, id string) (*StoredInput, error)
	// ListInputs lists an app's inputs matching f, newest first (ties by
	// id).
	ListInputs(ctx context.Context, app AppRef, f InputFilter, page Page) ([]*StoredInput, error)
	// UpdateInput saves the status, details, blob, size, image info,
	// metadata and UpdatedAt of in, or returns InputNotFound.
	UpdateInput(ctx context.Context, in *StoredInput) error
	// DeleteInputs deletes the inputs of an app with these ids, with their
	// annotations and jobs; ids the app does not have are ignored. It
	// deletes the references of blobs no input of the app uses any more,
	// unless reserved after at, and returns their keys: the caller deletes
	// their content unless a reference is back (UnreferencedBlobs).
	DeleteInputs(ctx context.Context, app AppRef, ids []string, at time.Time) ([]BlobKey, error)
	// CountInputs counts an app's inputs by status.
	CountInputs(ctx context.Context, app AppRef) (InputCounts, error)
	// Usage returns what an app stores.
	Usage(ctx context.Context, app AppRef) (Usage, error)
	// SearchInputs returns a page of the hits of q among an app's inputs,
	// best first, ties by id. It returns EInvalid for a metadata filter
	// it cannot match.
	SearchInputs(ctx context.Context, app AppRef, q InputQuery, page Page) ([]ScoredInput, error)
	// FilterInputs returns the ids of up to limit inputs of an app that
	// every one of q.Conds keeps, in id order (q.Rank is not read).
	FilterInputs(ctx context.Context, app AppRef, q InputQuery, limit int) ([]string, error)

	// ReserveBlobs references blobs an app is about to store, before their
	// content is written, and keeps the references at least until until
	// even if no input uses them. A blob the app already references is
	// counted once in its Usage. It returns the keys to store the content
	// under, in order.
	ReserveBlobs(ctx context.Context, app AppRef, refs []BlobRef, now, until time.Time) ([]BlobKey, error)
	// UnreferencedBlobs returns the keys among keys that no input and no
	// reservation references, in one read.
	UnreferencedBlobs(ctx context.Context, keys []BlobKey) ([]BlobKey, error)
	// ReleaseExpiredBlobs deletes up to limit references whose reservation
	// ended before now and that no input uses (their writer died or gave
	// up), and returns their keys.
	ReleaseExpiredBlobs(ctx context.Context, now time.Time, limit int) ([]BlobKey, error)

	// PutAddJob creates the add job id of an app, or updates one: it adds
	// refused to its refused inputs and sets UpdatedAt to at.
	PutAddJob(ctx context.Context, app AppRef, id string, refused int, at time.Time) error
	// GetAddJob returns an add job with its progress, or AddJobNotFound.
	GetAddJob(ctx context.Context, app AppRef, id string) (*InputsAddJob, error)
	// ListAddJobs lists an app's add jobs with their progress, newest
	// first.
	ListAddJobs(ctx context.Context, app AppRef, page Page) ([]*InputsAddJob, error)
	// CancelAddJob marks an add job cancelled and fails its inputs still
	// pending with details, deleting their jobs; it returns AddJobNotFound
	// for a missing job.
	CancelAddJob(ctx context.Context, app AppRef, id, details string, at time.Time) error

	// PurgeDeleted deletes up to about limit rows of the data of deleted
	// apps, in one transaction, and reports what it removed. A space is
	// deleted only by a call after the one that freed its last blobs, so
	// that a caller who deletes the content of the blobs a call returns
	// before calling again leaves no content of a deleted space.
	PurgeDeleted(ctx context.Context, limit int) (*Purge, error)
}

// AnnotationStore stores annotations. An app has at most one input-level
// annotation per input and user.
type AnnotationStore interface {
	// CreateAnnotations stores new annotations of an app, all or none. It
	// returns InputNotFound for an input the app does not have, and
	// EConflict when an id is taken or a user's input-level annotation of
	// the input exists.
	CreateAnnotations(ctx context.Context, app AppRef, as []*Annotation) error
	// GetAnnotation returns an annotation, or AnnotationNotFound.
	GetAnnotation(ctx context.Context, app AppRef, id string) (*Annotation, error)
	// ListAnnotations lists an app's annotations matching f, ordered by
	// input, then oldest first.
	ListAnnotations(ctx context.Context, app AppRef, f AnnotationFilter, page Page) ([]*Annotation, error)
	// UpdateAnnotation saves the concepts, regions and UpdatedAt of a, or
	// returns AnnotationNotFound.
	UpdateAnnotation(ctx context.Context, a *Annotation) error
	// DeleteAnnotations deletes an app's annotations matching f, which
	// names ids or input ids, and returns how many it deleted.
	DeleteAnnotations(ctx context.Context, app AppRef, f AnnotationFilter) (int, error)
}

// ConceptStore stores the concepts apps define.
type ConceptStore interface {
	// CreateConcepts stores new concepts of an app, all or none, or returns
	// EConflict naming an id the app has.
	CreateConcepts(ctx context.Context, app AppRef, cs []*AppConcept) error
	// GetConcept returns a concept of an app, or ConceptNotFound.
	GetConcept(ctx context.Context, app AppRef, id string) (*AppConcept, error)
	// ListConcepts lists an app's concepts whose id contains idPart
	// (everything when empty), ordered by id.
	ListConcepts(ctx context.Context, app AppRef, idPart string, page Page) ([]*AppConcept, error)
	// MissingConcepts returns the ids among ids that the app has no concept
	// for, in order.
	MissingConcepts(ctx context.Context, app AppRef, ids []string) ([]string, error)
	// UpdateConcept saves the name and UpdatedAt of c, or returns
	// ConceptNotFound.
	UpdateConcept(ctx context.Context, c *AppConcept) error
}

// JobStore is the durable queue of background jobs. Workers claim jobs under
// a lease, which they renew while running; a job whose worker dies is
// claimed again once its lease ends, and no two workers hold a job at once.
type JobStore interface {
	// EnqueueJobs adds queued jobs. It returns ENotFound when a job's app
	// or input does not exist.
	EnqueueJobs(ctx context.Context, jobs []*Job) error
	// ClaimJobs leases up to c.Limit claimable jobs to c.Owner, the ones
	// due first, counting an attempt for each, and returns them. Workers
	// claiming at once never get the same job.
	ClaimJobs(ctx context.Context, c JobClaim) ([]*Job, error)
	// RenewJobLeases moves the lease end of every job owner holds to until.
	RenewJobLeases(ctx context.Context, owner string, until time.Time) error
	// CompleteJob deletes a job that succeeded. It returns JobNotHeld when
	// owner does not hold it.
	CompleteJob(ctx context.Context, id, owner string) error
	// RetryJob queues a job that failed again, to run after runAfter,
	// recording the error. It returns JobNotHeld when owner does not hold
	// it.
	RetryJob(ctx context.Context, id, owner, lastError string, at, runAfter time.Time) error
	// FailJob marks a job failed for good, recording the error. It returns
	// JobNotHeld when owner does not hold it.
	FailJob(ctx context.Context, id, owner, lastError string, at time.Time) error
	// ReleaseJob hands a job back to the queue without counting its
	// attempt, to run at once. It returns JobNotHeld when owner does not
	// hold it.
	ReleaseJob(ctx context.Context, id, owner string, at time.Time) error
	// ReleaseLeases hands every running job back to the queue, to run at
	// at, its attempt counted, and returns how many. It is for a store only
	// this process uses, when it starts: every lease is then a dead
	// process's.
	ReleaseLeases(ctx context.Context, at time.Time) (int, error)
	// GetJob returns a job, or ENotFound.
	GetJob(ctx context.Context, id string) (*Job, error)
	// ListJobs lists jobs matching f, oldest first.
	ListJobs(ctx context.Context, f JobFilter, page Page) ([]*Job, error)
}

// BlobStore stores the content of blobs (input images) under their keys,
// apart from the rows that reference them. Its methods are safe for
// concurrent use.
type BlobStore interface {
	// PutBlob stores data under key, durably before it returns. Storing a
	// key again with the same content is harmless. A store that keeps
	// content with its references may return ENotFound for a key that is
	// not referenced.
	PutBlob(ctx context.Context, key BlobKey, data []byte) error
	// PutBlobs stores data[i] under keys[i], as PutBlob does for each,
	// durably before it returns; the writes share their syncs (or their
	// commit). On error, some may be stored: each is complete or absent.
	PutBlobs(ctx context.Context, keys []BlobKey, data [][]byte) error
	// GetBlob returns the content of key, or ENotFound.
	GetBlob(ctx context.Context, key BlobKey) ([]byte, error)
	// DeleteBlob deletes the content of key; a missing key is no error.
	DeleteBlob(ctx context.Context, key BlobKey) error
	// DeleteSpace deletes every blob of a space.
	DeleteSpace(ctx context.Context, space string) error
	// WalkBlobs calls fn with the key of every stored blob, stopping at
	// the first error fn returns.
	WalkBlobs(ctx context.Context, fn func(BlobKey) error) error
}

// PasswordStore stores portal passwords, one per user.
type PasswordStore interface {
	// SetPassword creates or replaces the password of p.UserID. It returns
	// ENotFound when the user does not exist.
	SetPassword(ctx context.Context, p *Password) error
	// GetPassword returns the password of a user, or ENotFound when the
	// user has none (or does not exist).
	GetPassword(ctx context.Context, userID string) (*Password, error)
}

// SessionStore stores portal sessions by the digest of their id.
type SessionStore interface {
	// CreateSession stores a new session. It returns EConflict when the
	// digest is taken and ENotFound when the user does not exist.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with the digest, or ENotFound.
	GetSession(ctx context.Context, digest []byte) (*Session, error)
	// TouchSession records that the session was used at the given time; a
	// missing session is ENotFound.
	TouchSession(ctx context.Context, digest []byte, at time.Time) error
	// DeleteSession deletes a session, or returns ENotFound.
	DeleteSession(ctx context.Context, digest []byte) error
	// DeleteUserSessions deletes every session of a user (none is no
	// error).
	DeleteUserSessions(ctx context.Context, userID string) error
	// DeleteExpiredSessions deletes the sessions whose absolute end is
	// at or before now, or that were last seen before idleSince.
	DeleteExpiredSessions(ctx context.Context, now, idleSince time.Time) error
}

// LoginThrottleStore counts failed log-ins per subject (an account or a
// client address) in fixed windows, so replicas sharing a database share
// the limits.
type LoginThrottleStore interface {
	// LoginFailures returns the failures of subject in its current window,
	// 0 when that window started at or before since (a window is over once
	// its length has passed).
	LoginFailures(ctx context.Context, subject string, since time.Time) (int, error)
	// AddLoginFailure counts one failure of subject at the given time,
	// opening a new window when the current one started at or before since,
	// and returns the failures of the window. It forgets every subject whose
	// window started at or before since.
	AddLoginFailure(ctx context.Context, subject string, at, since time.Time) (int, error)
	// ClearLoginFailures forgets the failures of subject.
	ClearLoginFailures(ctx context.Context, subject string) error
}

// Tx is a view of the store: the whole store, or one transaction of it
// inside Store.WithTx. Its aggregate stores are cheap to get; they are safe
// for concurrent use outside a transaction.
type Tx interface {
	Users() UserStore
	Apps() AppStore
	Keys() KeyStore
	Collaborators() CollaboratorStore
	Orgs() OrgStore
	Inputs() InputStore
	Annotations() AnnotationStore
	Concepts() ConceptStore
	Jobs() JobStore
	Embeddings() EmbeddingStore
	Passwords() PasswordStore
	Sessions() SessionStore
	LoginThrottle() LoginThrottleStore
	Audit() AuditStore
}

// Store is a whole store. Outside WithTx, each method of its aggregate
// stores runs in its own transaction (methods of several statements are
// never half done); WithTx runs work spanning aggregates in one. A Store is
// safe for concurrent use.
type Store interface {
	Tx
	// WithTx runs fn in one transaction, committed when fn returns nil and
	// rolled back when it returns an error, which WithTx returns. Calls on
	// tx must not escape fn, nor run concurrently.
	//
	// fn may run more than once: an engine that detects a conflict with a
	// concurrent transaction (PostgreSQL's serialization failures and
	// deadlocks) rolls back and runs fn again in a new transaction, as if
	// the transactions had run one after the other. So fn must have no
	// effect but through tx, and must start afresh each time: reset at its
	// start whatever it fills in captured variables (out = out[:0]), and
	// assign results rather than accumulate them. Effects that must follow
	// the commit (cache invalidations, notifications) belong after WithTx
	// returns nil.
	WithTx(ctx context.Context, fn func(tx Tx) error) error
	// Ping checks that the database answers a trivial query, for the
	// server's readiness; ctx bounds the wait.
	Ping(ctx context.Context) error
	// Close closes the store. Calls after Close fail.
	Close() error
}
