package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// DefaultAuditRetention is how long audit entries are kept by default.
const DefaultAuditRetention = 90 * 24 * time.Hour

// Origin is where a request comes from, for the audit log: the client
// address as the server saw it, the request id, and the caller once
// authenticated. Transports put it in the context (WithOrigin).
type Origin struct {
	Addr      string
	ReqID     string
	Principal *clavis.Principal
}

type originKey struct{}

// WithOrigin returns ctx carrying o. The transport may fill in o.Principal
// after authentication: the service reads o when it records an event.
func WithOrigin(ctx context.Context, o *Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin ctx carries, or an empty one.
func OriginOf(ctx context.Context) *Origin {
	if o, ok := ctx.Value(originKey{}).(*Origin); ok && o != nil {
		return o
	}
	return &Origin{}
}

// newAuditID returns a time-ordered entry id: the time in microseconds, then
// random bits, all hex.
func newAuditID(at time.Time) string {
	var b [6]byte
	rand.Read(b[:]) //nolint:errcheck // never fails (crypto/rand)
	return fmt.Sprintf("%016x", at.UnixMicro()) + hex.EncodeToString(b[:])
}

// entry starts an audit entry of event ev by the caller: acc's principal,
// else the origin's.
func (s *Service) entry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent) *clavis.AuditEntry {
	o := OriginOf(ctx)
	now := s.clock()
	e := &clavis.AuditEntry{ID: newAuditID(now), At: now, Event: ev, Success: true, SourceIP: o.Addr, ReqID: o.ReqID, Count: 1}
	p := o.Principal
	if acc != nil && acc.Principal != nil {
		p = acc.Principal
	}
	if p != nil {
		e.ActorID, e.ActorKeyID = p.UserID, p.KeyID
	}
	return e
}

// keyEntry is an entry about key k.
func (s *Service) keyEntry(ctx context.Context, acc *auth.Access, ev clavis.AuditEvent, k *clavis.Key) *clavis.AuditEntry {
	e := s.entry(ctx, acc, ev)
	e.SubjectID, e.KeyID, e.App = k.UserID, k.ID, k.App
	e.Details = keyDetails(k)
	return e
}

// keyDetails describes a key without its secret.
func keyDetails(k *clavis.Key) string {
	d := fmt.Sprintf("type %s, hint %s, scopes %s", k.Type, k.Hint, strings.Join(k.Scopes.Names(), " "))
	if len(k.Endpoints) > 0 {
		d += ", endpoints " + strings.Join(k.Endpoints, " ")
	}
	if len(k.AllowCIDRs) > 0 {
		d += ", from " + strings.Join(k.AllowCIDRs, " ")
	}
	if k.RateLimit > 0 {
		d += ", at most " + strconv.Itoa(k.RateLimit) + " requests a minute"
	}
	if !k.ExpiresAt.IsZero() {
		d += ", expires " + k.ExpiresAt.Format(time.RFC3339)
	}
	return d
}

// record appends entries through tx: inside the transaction of the change
// they record, an event is logged exactly when it happened. With the audit
// log switched off (Config.AuditOff) it records nothing.
func (s *Service) record(ctx context.Context, tx clavis.Tx, entries ...*clavis.AuditEntry) error {
	if s.auditOff {
		return nil
	}
	return tx.Audit().AppendAudit(ctx, entries...)
}

// AuditQuery selects audit entries in SearchAudit.
type AuditQuery struct {
	// Target is whose entries to read: "" or "me" for the caller's (an
	// instance admin's: everything), a user's or an organization's id.
	Target    string
	ActorIDs  []string
	Since     time.Time
	Until     time.Time
	Events    []clavis.AuditEvent
	Success   *bool
	SourceIPs []string
	KeyID     string
	Ascending bool
}

// SearchAudit lists the audit entries q selects among those the caller may
// read (see auth.Authorizer.AuditView), newest first unless q.Ascending.
func (s *Service) SearchAudit(ctx context.Context, acc *auth.Access, q AuditQuery, page clavis.Page) ([]*clavis.AuditEntry, error) {
	f, err := s.authz.AuditView(ctx, acc.Principal, q.Target)
	if err != nil {
		return nil, err
	}
	for _, ev := range q.Events {
		if !slices.Contains(clavis.AuditEvents, ev) {
			return nil, clavis.Errorf(clavis.EInvalid, "unknown audit event %q", ev)
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, clavis.Errorf(clavis.EInvalid, "the end of the time range is not after its start")
	}
	f.ActorIDs, f.Since, f.Until, f.Events, f.Success = q.ActorIDs, q.Since, q.Until, q.Events, q.Success
	f.SourceIPs, f.KeyID, f.Ascending = q.SourceIPs, q.KeyID, q.Ascending
	return s.store.Audit().ListAudit(ctx, f, page)
}

// PurgeAudit deletes the audit entries older than the retention period, in
// batches; a retention of 0 keeps every entry.
func (s *Service) PurgeAudit(ctx context.Context) (int, error) {
	if s.auditRetention <= 0 {
		return 0, nil
	}
	cut := s.clock().Add(-s.auditRetention)
	total := 0
	for {
		n, err := s.store.Audit().PurgeAudit(ctx, cut, purgeBatch)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// maxFailureGroups bounds the failure aggregator's memory: past it, new
// (key, address) pairs are counted under one overflow group.
const maxFailureGroups = 10_000

type failureGroup struct{ keyID, addr string }

type failureCount struct {
	event       clavis.AuditEvent
	userID      string
	reasons     []string
	first, last time.Time
	n           int
}

// failures aggregates failed credential checks in memory, per key id and
// client address, until FlushAuthFailures writes them.
type failures struct {
	mu     sync.Mutex
	groups map[failureGroup]*failureCount
}

// AuthFailure counts a failed credential check, for the audit log: the key
// it named (its id, "" when the token names no key), the key's user, why it
// failed (auth.Reason…), and when. The client address comes from ctx's
// Origin. It implements auth.FailureSink; it only counts in memory, and
// FlushAuthFailures writes the counts as entries.
func (s *Service) AuthFailure(ctx context.Context, keyID, userID, reason string, at time.Time) {
	if s.auditOff {
		return
	}
	addr := OriginOf(ctx).Addr
	ev := clavis.AuditAuthFailures
	if reason == auth.ReasonRotated {
		ev = clavis.AuditKeyRotatedOut
	}
	f := &s.failures
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.groups == nil {
		f.groups = map[failureGroup]*failureCount{}
	}
	g := failureGroup{keyID, addr}
	c, ok := f.groups[g]
	if !ok && len(f.groups) >= maxFailureGroups {
		g = failureGroup{"", "(many)"}
		c, ok = f.groups[g]
	}
	if !ok {
		c = &failureCount{event: ev, userID: userID, first: at}
		f.groups[g] = c
	}
	if ev == clavis.AuditKeyRotatedOut {
		c.event = ev
	}
	if !slices.Contains(c.reasons, reason) {
		c.reasons = append(c.reasons, reason)
	}
	c.last = at
	c.n++
}

// FlushAuthFailures writes the failures counted since the last flush as
// audit entries, one per key id and client address, all in one
// transaction. On an error the counts are lost, and the error is returned.
func (s *Service) FlushAuthFailures(ctx context.Context) error {
	f := &s.failures
	f.mu.Lock()
	groups := f.groups
	f.groups = nil
	f.mu.Unlock()
	if len(groups) == 0 {
		return nil
	}
	entries := make([]*clavis.AuditEntry, 0, len(groups))
	for g, c := range groups {
		slices.Sort(c.reasons)
		entries = append(entries, &clavis.AuditEntry{
			ID: newAuditID(c.first), At: c.first, Until: c.last, Event: c.event, Success: false,
			SubjectID: c.userID, KeyID: g.keyID, SourceIP: g.addr, Count: c.n,
			Details: fmt.Sprintf("%d failed credential checks: %s", c.n, strings.Join(c.reasons, ", ")),
		})
	}
	slices.SortFunc(entries, func(a, b *clavis.AuditEntry) int { return a.At.Compare(b.At) })
	return s.store.Audit().AppendAudit(ctx, entries...)
}
