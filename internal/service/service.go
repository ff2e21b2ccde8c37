package service

import (
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/vector"
)

// Invalidator is told about every change that affects authentication, so
// cached credentials are dropped at once. *auth.Authenticator implements it.
type Invalidator interface {
	InvalidateKeys(ids ...string)
	InvalidateUser(id string)
	InvalidateApp(ref clavis.AppRef)
	// InvalidateOwner drops the app keys of every app of an owner.
	InvalidateOwner(ownerID string)
	// InvalidateGrants drops what is cached about who may use app of owner
	// (its row, collaborators, teams), or every app of owner when app is
	// empty. InvalidateApp and InvalidateOwner include it.
	InvalidateGrants(owner, app string)
}

// Service implements the use cases. It is safe for concurrent use.
type Service struct {
	store  clavis.Store
	hasher auth.Hasher
	inval  Invalidator
	engine *inference.Engine
	authz  *auth.Authorizer
	now    func() time.Time

	// Inputs: where their images go, how URLs are fetched, the operator's
	// limits, and who to tell of background work.
	blobs   clavis.BlobStore
	fetcher Fetcher
	limits  InputLimits
	quotas  Quotas
	wake    func()
	locks   blobLocks

	// The audit log: how long entries are kept, and the failed credential
	// checks counted since the last flush.
	auditRetention time.Duration
	auditOff       bool
	failures       failures
	// revokes counts revocation-by-value requests per client address.
	revokes windows
	// policies is the instance's expiry policy for new keys.
	policies KeyPolicies

	// Search: the vector index of the embeddings, and who to tell of
	// their changes.
	index   *vector.Index
	vectors VectorFeed
}

// Config wires a Service.
type Config struct {
	Store       clavis.Store
	Hasher      auth.Hasher
	Invalidator Invalidator
	Engine      *inference.Engine
	Authorizer  *auth.Authorizer // nil = auth.NewAuthorizer(Store)
	Now         func() time.Time // nil = time.Now

	// Blobs stores the images of inputs.
	Blobs clavis.BlobStore
	// Fetcher fetches the images of URL inputs; nil refuses them.
	Fetcher Fetcher
	// Limits bounds what an app stores.
	Limits InputLimits
	// Quotas bounds the apps and keys of each user.
	Quotas Quotas
	// Wake, when set, is called after background work is queued: jobs to
	// run, or a deleted app's data to purge.
	Wake func()

	// AuditRetention is how long audit entries are kept; 0 keeps them
	// forever.
	AuditRetention time.Duration
	// AuditOff records no audit entries: for measuring what the audit log
	// costs, or where another system audits. Entries already written stay
	// and can be searched.
	AuditOff bool
	// KeyPolicies is the expiry policy of new keys.
	KeyPolicies KeyPolicies
	// Index answers visual searches; nil makes one that is never started,
	// which searches the store exactly.
	Index *vector.Index
	// Vectors is told of every embedding stored or deleted; nil is Index.
	Vectors VectorFeed
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, hasher: cfg.Hasher, inval: cfg.Invalidator, engine: cfg.Engine, authz: cfg.Authorizer, now: cfg.Now,
		blobs: cfg.Blobs, fetcher: cfg.Fetcher, limits: cfg.Limits, quotas: cfg.Quotas, wake: cfg.Wake, auditRetention: cfg.AuditRetention, auditOff: cfg.AuditOff, policies: cfg.KeyPolicies}
	if s.wake == nil {
		s.wake = func() {}
	}
	if s.authz == nil {
		s.authz = auth.NewAuthorizer(cfg.Store)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.index, s.vectors = cfg.Index, cfg.Vectors
	if s.index == nil {
		s.index = vector.New(VectorSource(cfg.Store), vector.Config{})
	}
	if s.vectors == nil {
		s.vectors = s.index
	}
	if s.inval == nil {
		s.inval = nopInvalidator{}
	}
	return s
}

type nopInvalidator struct{}

func (nopInvalidator) InvalidateKeys(...string)     {}
func (nopInvalidator) InvalidateUser(string)        {}
func (nopInvalidator) InvalidateApp(clavis.AppRef)  {}
func (nopInvalidator) InvalidateOwner(string)       {}
func (nopInvalidator) InvalidateGrants(_, _ string) {}

func (s *Service) clock() time.Time { return s.now().UTC() }
