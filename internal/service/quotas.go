package service

import (
	"context"

	"github.com/clavis-dev/clavis/clavis"
)

// Quotas bounds what one user owns; zero fields mean no bound. They are
// checked inside the transaction that creates, so that concurrent creates
// cannot pass them together: SQLite runs one writer at a time and
// PostgreSQL's serializable transactions retry the one that conflicts.
type Quotas struct {
	MaxApps int // apps a user owns
	MaxKeys int // keys (PATs and app keys) a user holds, expired or not
}

// checkAppQuota refuses, with ELimit, n more apps for owner past the quota.
func (s *Service) checkAppQuota(ctx context.Context, tx clavis.Tx, owner string, n int) error {
	if s.quotas.MaxApps <= 0 {
		return nil
	}
	have, err := tx.Apps().CountApps(ctx, owner)
	if err != nil {
		return err
	}
	if have+n > s.quotas.MaxApps {
		return clavis.Errorf(clavis.ELimit, "user %s owns %d apps; %d more would pass the limit of %d apps per user the operator set", owner, have, n, s.quotas.MaxApps)
	}
	return nil
}

// checkKeyQuota refuses, with ELimit, n more keys for user past the quota.
func (s *Service) checkKeyQuota(ctx context.Context, tx clavis.Tx, user string, n int) error {
	if s.quotas.MaxKeys <= 0 {
		return nil
	}
	have, err := tx.Keys().CountKeys(ctx, user)
	if err != nil {
		return err
	}
	if have+n > s.quotas.MaxKeys {
		return clavis.Errorf(clavis.ELimit, "user %s holds %d keys; %d more would pass the limit of %d keys per user the operator set", user, have, n, s.quotas.MaxKeys)
	}
	return nil
}
