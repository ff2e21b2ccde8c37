package service

import (
	"context"
	"fmt"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// InventoryQuery selects keys of every user in AllKeys (admins). Zero
// fields select everything.
type InventoryQuery struct {
	UserID        string
	Type          string
	App           *clavis.AppRef
	Expired       *bool     // only expired (true) or unexpired (false) keys
	UnusedSince   time.Time // only keys not used since
	CreatedBefore time.Time
}

// AllKeys lists the keys of every user that q selects, newest first
// (admins).
func (s *Service) AllKeys(ctx context.Context, q InventoryQuery, page clavis.Page) ([]*clavis.Key, error) {
	f := clavis.KeyFilter{UserID: q.UserID, App: q.App, UnusedSince: q.UnusedSince, CreatedBefore: q.CreatedBefore}
	if q.Type != "" {
		t := clavis.KeyType(q.Type)
		if t != clavis.KeyTypePAT && t != clavis.KeyTypeApp {
			return nil, clavis.Errorf(clavis.EInvalid, "unknown key type %q: use %q or %q", t, clavis.KeyTypePAT, clavis.KeyTypeApp)
		}
		f.Type = t
	}
	if q.Expired != nil {
		if *q.Expired {
			f.ExpiredAt = s.clock()
		} else {
			f.NotExpiredAt = s.clock()
		}
	}
	return s.store.Keys().ListKeys(ctx, f, page)
}

// RevokeTarget names whose keys RevokeKeys revokes: exactly one of a user
// (all their PATs and app keys), an app (its app keys) or an organization
// (the app keys of all its apps).
type RevokeTarget struct {
	UserID string
	App    *clavis.AppRef
	OrgID  string
}

// RevokeKeys deletes every key of the target at once (admins), records a
// key.revoke_bulk entry for each, and returns how many it deleted. Every
// replica refuses them from its next request.
func (s *Service) RevokeKeys(ctx context.Context, acc *auth.Access, t RevokeTarget) (int, error) {
	var f clavis.KeyFilter
	var what string
	n := 0
	if t.UserID != "" {
		n++
		f.UserID, what = t.UserID, "user "+t.UserID
	}
	if t.App != nil {
		n++
		f.App, what = t.App, "app "+t.App.OwnerID+"/"+t.App.AppID
	}
	if t.OrgID != "" {
		n++
		f.AppOwnerID, what = t.OrgID, "organization "+t.OrgID
	}
	if n != 1 {
		return 0, clavis.Errorf(clavis.EInvalid, "name exactly one of user_id, app or org_id whose keys to revoke")
	}
	var gone []*clavis.Key
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		if gone, err = tx.Keys().DeleteKeys(ctx, f); err != nil {
			return err
		}
		entries := make([]*clavis.AuditEntry, len(gone))
		for i, k := range gone {
			e := s.keyEntry(ctx, acc, clavis.AuditKeyRevokeBulk, k)
			e.Details = fmt.Sprintf("every key of %s revoked by an admin (%d keys); ", what, len(gone)) + e.Details
			entries[i] = e
		}
		return s.record(ctx, tx, entries...)
	})
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(gone))
	for i, k := range gone {
		ids[i] = k.ID
	}
	if len(ids) > 0 {
		s.inval.InvalidateKeys(ids...)
	}
	return len(gone), nil
}
