package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// maxDescription bounds key and app descriptions.
const maxDescription = 1000

// KeySpec describes a key to create or the new state of a key to patch.
type KeySpec struct {
	ID          string // must be empty on create; the key's id or token on patch
	Type        string // "" = app_specific_key on create
	Description string
	Scopes      []string
	Endpoints   []string
	Apps        []clavis.AppRef
	ExpiresAt   time.Time
	OrgID       string
	// AllowCIDRs limits the client addresses of the key; on patch, empty
	// leaves it unchanged unless ReplaceAllowCIDRs is set.
	AllowCIDRs []string
	// ReplaceAllowCIDRs, on patch, sets the allowlist to AllowCIDRs even
	// when it is empty: an empty one removes it (a form's cleared field).
	ReplaceAllowCIDRs bool
	// RateLimit is the key's limit in requests a minute: nil means none on
	// create and no change on patch; 0 removes the limit.
	RateLimit *int64
}

// NewKey is a created key with its secret, which is never shown again.
type NewKey struct {
	Key   *clavis.Key
	Token string
}

func (s *Service) newKey(userID string, t clavis.KeyType, app *clavis.AppRef, desc string, scopes clavis.ScopeSet, endpoints []string, expires, now time.Time) (*clavis.Key, string, error) {
	tok, err := auth.NewToken(t)
	if err != nil {
		return nil, "", clavis.Internal(err)
	}
	id, err := auth.NewKeyID()
	if err != nil {
		return nil, "", clavis.Internal(err)
	}
	return &clavis.Key{
		ID: id, UserID: userID, Type: t, App: app, Digest: s.hasher.Digest(tok), Hint: auth.Hint(tok),
		Description: desc, Scopes: scopes, Endpoints: endpoints, CreatedAt: now, ExpiresAt: expires,
	}, tok, nil
}

// CreateKeys creates keys for the caller, all or none. The authorizer
// decides what the caller may grant: scopes and endpoints within its own, no
// longer life than its credential's, and app keys only for apps the caller
// manages.
func (s *Service) CreateKeys(ctx context.Context, acc *auth.Access, specs []KeySpec) ([]NewKey, error) {
	if len(specs) == 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "keys is empty: give at least one key to create")
	}
	p := acc.Principal
	now := s.clock()
	var out []NewKey
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		if err := s.checkKeyQuota(ctx, tx, p.UserID, len(specs)); err != nil {
			return err
		}
		for i, sp := range specs {
			if sp.ID != "" {
				return clavis.Errorf(clavis.EInvalid, "keys[%d].id must be empty: the server chooses key ids and secrets", i)
			}
			t, err := keyType(sp.Type)
			if err != nil {
				return err
			}
			if sp.OrgID != "" {
				return clavis.Errorf(clavis.EInvalid, "keys[%d].organization_id: organization PATs are not supported yet", i)
			}
			callerScopes := acc.Scopes
			var app *clavis.AppRef
			switch {
			case t == clavis.KeyTypePAT && len(sp.Apps) > 0:
				return clavis.Errorf(clavis.EInvalid, "keys[%d]: a personal access token reaches every app of its user; leave apps empty", i)
			case t == clavis.KeyTypeApp && len(sp.Apps) != 1:
				return clavis.Errorf(clavis.EInvalid, "keys[%d]: an app-specific key needs exactly one app in apps, with its id", i)
			case t == clavis.KeyTypeApp:
				ref := sp.Apps[0]
				if ref.OwnerID == "" || ref.OwnerID == clavis.UserMe {
					ref.OwnerID = p.UserID
				}
				if err := clavis.CheckID("keys.apps.id", ref.AppID); err != nil {
					return err
				}
				if err := clavis.CheckID("keys.apps.user_id", ref.OwnerID); err != nil {
					return err
				}
				// Read through tx: a pooled connection may not be free while tx holds the write lock.
				_, grant, err := auth.NewAuthorizer(tx).ManagedApp(ctx, p, ref, "create keys for")
				if err != nil {
					return err
				}
				callerScopes = callerScopes.Intersect(grant)
				app = &ref
			}
			// The policy first: its refusal says what expiry to choose.
			pol, err := s.policyFor(ctx, tx, t, p.UserID, app)
			if err != nil {
				return err
			}
			if err := checkPolicy(pol, t, sp.ExpiresAt, now); err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			scopes, endpoints, err := s.checkGrant(p, callerScopes, sp, now)
			if err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			k, tok, err := s.newKey(p.UserID, t, app, sp.Description, scopes, endpoints, sp.ExpiresAt, now)
			if err != nil {
				return err
			}
			if k.AllowCIDRs, err = auth.ParseAllowlist(sp.AllowCIDRs); err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			if sp.RateLimit != nil {
				if k.RateLimit, err = auth.ParseRateLimit(*sp.RateLimit); err != nil {
					return prefix(err, "keys[%d]: ", i)
				}
			}
			if err := auth.CheckRateGrant(acc.Principal, k.RateLimit); err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			if err := tx.Keys().CreateKey(ctx, k); err != nil {
				return err
			}
			if err := s.record(ctx, tx, s.keyEntry(ctx, acc, clavis.AuditKeyCreate, k)); err != nil {
				return err
			}
			out = append(out, NewKey{Key: k, Token: tok})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkGrant parses a key's scopes and endpoints and has the authorizer
// check that the caller may grant them.
func (s *Service) checkGrant(p *clavis.Principal, callerScopes clavis.ScopeSet, sp KeySpec, now time.Time) (clavis.ScopeSet, []string, error) {
	if len(sp.Description) > maxDescription {
		return clavis.ScopeSet{}, nil, clavis.Errorf(clavis.EInvalid, "description is longer than %d characters", maxDescription)
	}
	if len(sp.Scopes) == 0 {
		return clavis.ScopeSet{}, nil, clavis.Errorf(clavis.EInvalid, "scopes is empty: give at least one scope, such as All or Predict")
	}
	scopes, err := clavis.ParseScopes(sp.Scopes)
	if err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	endpoints := dedupe(sp.Endpoints)
	if err := auth.CheckEndpoints(endpoints); err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	if !sp.ExpiresAt.IsZero() && !sp.ExpiresAt.After(now) {
		return clavis.ScopeSet{}, nil, clavis.Errorf(clavis.EInvalid, "expires_at %s is in the past", sp.ExpiresAt.Format(time.RFC3339))
	}
	if err := auth.CheckKeyGrant(p, callerScopes, scopes, endpoints, sp.ExpiresAt); err != nil {
		return clavis.ScopeSet{}, nil, err
	}
	return scopes, endpoints, nil
}

func keyType(s string) (clavis.KeyType, error) {
	switch clavis.KeyType(s) {
	case "", clavis.KeyTypeApp:
		return clavis.KeyTypeApp, nil
	case clavis.KeyTypePAT:
		return clavis.KeyTypePAT, nil
	}
	return "", clavis.Errorf(clavis.EInvalid, "unknown key type %q: use %q or %q", s, clavis.KeyTypePAT, clavis.KeyTypeApp)
}

// findKey finds a key of userID by its public id or its token.
func (s *Service) findKey(ctx context.Context, tx clavis.Tx, userID, idOrToken string) (*clavis.Key, error) {
	var k *clavis.Key
	var err error
	// Another user's key is not found by the very lookup that finds no
	// key: the refusal takes the same time for both.
	if auth.LooksLikeToken(idOrToken) {
		k, err = tx.Keys().GetUserKeyByDigest(ctx, userID, s.hasher.Digest(idOrToken))
	} else {
		if idOrToken == "" {
			return nil, clavis.Errorf(clavis.EInvalid, "key_id is required")
		}
		k, err = tx.Keys().GetUserKey(ctx, userID, idOrToken)
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// GetKey returns one of the caller's keys, by public id or token.
func (s *Service) GetKey(ctx context.Context, acc *auth.Access, idOrToken string) (*clavis.Key, error) {
	return s.findKey(ctx, s.store, acc.UserID, idOrToken)
}

// KeyQuery selects the caller's keys in ListKeys. Zero fields select
// everything.
type KeyQuery struct {
	Type       string   // personal_access_token or app_specific_key
	NotExpired bool     // only keys that have not expired
	Scopes     []string // only keys holding all of these
	Endpoints  []string // only keys limited to all of these
	// LastUsedBefore selects keys last used before it; NeverUsed keys never
	// used. Both at once select nothing.
	LastUsedBefore time.Time
	NeverUsed      bool
}

// ListKeys lists the caller's keys that q selects, newest first.
func (s *Service) ListKeys(ctx context.Context, acc *auth.Access, q KeyQuery, page clavis.Page) ([]*clavis.Key, error) {
	f := clavis.KeyFilter{UserID: acc.UserID, Endpoints: dedupe(q.Endpoints), LastUsedBefore: q.LastUsedBefore, NeverUsed: q.NeverUsed}
	if q.Type != "" {
		t := clavis.KeyType(q.Type)
		if t != clavis.KeyTypePAT && t != clavis.KeyTypeApp {
			return nil, clavis.Errorf(clavis.EInvalid, "unknown key type %q: use %q or %q", t, clavis.KeyTypePAT, clavis.KeyTypeApp)
		}
		f.Type = t
	}
	if q.NotExpired {
		f.NotExpiredAt = s.clock()
	}
	var err error
	if f.Scopes, err = clavis.ParseScopes(q.Scopes); err != nil {
		return nil, err
	}
	return s.store.Keys().ListKeys(ctx, f, page)
}

// ListAppKeys lists the app keys of the target app.
func (s *Service) ListAppKeys(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.Key, error) {
	ref := acc.App.Ref()
	return s.store.Keys().ListKeys(ctx, clavis.KeyFilter{App: &ref}, page)
}

// PatchKeys overwrites the description, scopes, endpoints and expiry (and,
// when given, the allowlist and rate limit) of the
// caller's keys, all or none, within the caller's own rights.
func (s *Service) PatchKeys(ctx context.Context, acc *auth.Access, action string, specs []KeySpec) ([]*clavis.Key, error) {
	if action != "" && action != "overwrite" {
		return nil, clavis.Errorf(clavis.EInvalid, "action %q is not supported: PatchKeys supports only \"overwrite\"", action)
	}
	if len(specs) == 0 {
		return nil, clavis.Errorf(clavis.EInvalid, "keys is empty: give at least one key to patch")
	}
	now := s.clock()
	var out []*clavis.Key
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		for i, sp := range specs {
			k, err := s.findKey(ctx, tx, acc.UserID, sp.ID)
			if err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			if k.ReplacedBy != "" {
				return clavis.Errorf(clavis.EInvalid, "keys[%d]: key %s was rotated out, replaced by %s: patch that one", i, k.ID, k.ReplacedBy)
			}
			if sp.Type != "" && clavis.KeyType(sp.Type) != k.Type {
				return clavis.Errorf(clavis.EInvalid, "keys[%d]: a key's type cannot change", i)
			}
			if len(sp.Scopes) == 0 {
				sp.Scopes = k.Scopes.Names()
			}
			if sp.ExpiresAt.IsZero() {
				sp.ExpiresAt = k.ExpiresAt
			}
			scopes, endpoints, err := s.checkGrant(acc.Principal, acc.Scopes, sp, now)
			if err != nil {
				return prefix(err, "keys[%d]: ", i)
			}
			if !sp.ExpiresAt.Equal(k.ExpiresAt) {
				// A new expiry must comply, counted from the key's creation.
				pol, err := s.policyFor(ctx, tx, k.Type, k.UserID, k.App)
				if err != nil {
					return err
				}
				if err := checkPolicy(pol, k.Type, sp.ExpiresAt, k.CreatedAt); err != nil {
					return prefix(err, "keys[%d]: ", i)
				}
			}
			k.Description, k.Scopes, k.Endpoints, k.ExpiresAt = sp.Description, scopes, endpoints, sp.ExpiresAt
			if len(sp.AllowCIDRs) > 0 || sp.ReplaceAllowCIDRs {
				if k.AllowCIDRs, err = auth.ParseAllowlist(sp.AllowCIDRs); err != nil {
					return prefix(err, "keys[%d]: ", i)
				}
			}
			if sp.RateLimit != nil {
				if k.RateLimit, err = auth.ParseRateLimit(*sp.RateLimit); err != nil {
					return prefix(err, "keys[%d]: ", i)
				}
				if err := auth.CheckRateGrant(acc.Principal, k.RateLimit); err != nil {
					return prefix(err, "keys[%d]: ", i)
				}
			}
			if err := tx.Keys().UpdateKey(ctx, k); err != nil {
				return err
			}
			if err := s.record(ctx, tx, s.keyEntry(ctx, acc, clavis.AuditKeyPatch, k)); err != nil {
				return err
			}
			out = append(out, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range out {
		s.inval.InvalidateKeys(k.ID)
	}
	return out, nil
}

// DeleteKey deletes one of the caller's keys, by public id or token. It
// stops working on the very next request.
func (s *Service) DeleteKey(ctx context.Context, acc *auth.Access, idOrToken string) error {
	var id string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		k, err := s.findKey(ctx, tx, acc.UserID, idOrToken)
		if err != nil {
			return err
		}
		id = k.ID
		if err := tx.Keys().DeleteKey(ctx, k.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, s.keyEntry(ctx, acc, clavis.AuditKeyDelete, k))
	})
	if err != nil {
		return err
	}
	s.inval.InvalidateKeys(id)
	return nil
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// prefix prepends context to a domain error's message.
func prefix(err error, format string, args ...any) error {
	if e, ok := err.(*clavis.Error); ok {
		c := *e
		c.Message = clavis.Errorf(c.Code, format, args...).Message + c.Message
		return &c
	}
	return err
}
