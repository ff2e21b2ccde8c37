package service

import (
	"context"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// Revocation by value: limits.
const (
	// MaxRevokeCredentials bounds the tokens of one revocation request.
	MaxRevokeCredentials = 1000
	// RevokeRequestsPerMinute bounds the revocation requests of one client
	// address per minute, on each server.
	RevokeRequestsPerMinute = 30
)

// windows counts requests per subject in fixed one-minute windows, in
// memory. It is safe for concurrent use.
type windows struct {
	mu     sync.Mutex
	counts map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// maxWindowSubjects bounds the memory of windows: past it, finished windows
// are forgotten, and if none is, every subject shares one window.
const maxWindowSubjects = 100_000

// take counts one request of subject at now and reports whether it is
// within limit per minute; when it is not, it returns how long until the
// window ends.
func (w *windows) take(subject string, limit int, now time.Time) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil {
		w.counts = map[string]*window{}
	}
	c, ok := w.counts[subject]
	if !ok && len(w.counts) >= maxWindowSubjects {
		for k, v := range w.counts {
			if now.Sub(v.start) >= time.Minute {
				delete(w.counts, k)
			}
		}
		if len(w.counts) >= maxWindowSubjects {
			subject = "(many)"
			c, ok = w.counts[subject]
		}
	}
	if !ok || now.Sub(c.start) >= time.Minute {
		c = &window{start: now}
		w.counts[subject] = c
	}
	if c.n >= limit {
		return false, c.start.Add(time.Minute).Sub(now)
	}
	c.n++
	return true, 0
}

// RevokeCredentials revokes the keys whose tokens are given, as a secret
// scanner reports leaked ones: anyone may call it, with no credentials. It
// deletes every key found, at once and on every replica, and records a
// key.revoke entry for its owner; strings that are not well-formed tokens,
// and tokens of no key, are ignored. Its answer is the same whatever was
// found, so it tells nothing about the tokens: only EInvalid for more than
// MaxRevokeCredentials tokens and EThrottled for a client address over
// RevokeRequestsPerMinute.
func (s *Service) RevokeCredentials(ctx context.Context, tokens []string) error {
	if len(tokens) > MaxRevokeCredentials {
		return clavis.Errorf(clavis.EInvalid, "credentials has %d tokens: give at most %d per request", len(tokens), MaxRevokeCredentials)
	}
	now := s.clock()
	addr := OriginOf(ctx).Addr
	if ok, wait := s.revokes.take(addressSubject(addr), RevokeRequestsPerMinute, now); !ok {
		return clavis.Throttled(wait, "too many revocation requests from your address: at most %d a minute; retry later", RevokeRequestsPerMinute)
	}
	var digests [][]byte
	seen := map[string]bool{}
	for _, tok := range tokens {
		if _, err := auth.ParseToken(tok); err != nil || seen[tok] {
			continue
		}
		seen[tok] = true
		digests = append(digests, s.hasher.Digest(tok))
	}
	if len(digests) == 0 {
		return nil
	}
	var revoked []string
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		revoked = revoked[:0]
		for _, d := range digests {
			k, err := tx.Keys().GetKeyByDigest(ctx, d)
			if clavis.ErrorCode(err) == clavis.ENotFound {
				continue
			}
			if err != nil {
				return err
			}
			if err := tx.Keys().DeleteKey(ctx, k.ID); err != nil {
				return err
			}
			e := s.keyEntry(ctx, nil, clavis.AuditKeyRevoke, k)
			e.ActorID, e.ActorKeyID = "", ""
			e.Details = "revoked by value: someone holding its secret reported it leaked; " + e.Details
			if err := s.record(ctx, tx, e); err != nil {
				return err
			}
			revoked = append(revoked, k.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(revoked) > 0 {
		s.inval.InvalidateKeys(revoked...)
	}
	return nil
}
