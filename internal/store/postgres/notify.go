package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clavis-dev/clavis/clavis"
)

// Channel is the PostgreSQL notification channel that carries cache
// invalidations between replicas.
const Channel = "clavis_invalidate"

// ListenerName is the application_name of the listening connections, as
// pg_stat_activity shows them.
const ListenerName = "clavis invalidation listener"

// Cache is the local cache of verified credentials a Notifier keeps
// coherent. *auth.Authenticator implements it.
type Cache interface {
	InvalidateKeys(ids ...string)
	InvalidateUser(id string)
	InvalidateApp(ref clavis.AppRef)
	InvalidateOwner(ownerID string)
	InvalidateAll()
}

// GrantCache is implemented by a Cache that also caches grants: who may use
// which app. A Notifier tells it about grant events, which the database
// itself publishes when a grant changes (see migrations/0002_grant_events.sql).
// A Cache without it caches no grants and ignores them.
type GrantCache interface {
	// InvalidateGrants drops what is cached about who may use app of owner,
	// or every app of owner when app is empty.
	InvalidateGrants(owner, app string)
}

// Event kinds.
const (
	kindKeys  = "key"
	kindUser  = "user"
	kindApp   = "app"
	kindOwner = "owner"
	kindAll   = "all"
	// kindGrant events come from the database's triggers: IDs are the
	// owner and app id, or only the owner (an org) for all its apps.
	kindGrant = "grant"
)

// event is the JSON payload of a notification. IDs are key ids (kind key),
// one user id (kind user), the owner and app id (kind app) or one owner
// (kind owner).
type event struct {
	Src  string   `json:"src"`
	Kind string   `json:"kind"`
	IDs  []string `json:"ids,omitempty"`
}

// maxIDsPerEvent keeps payloads well under PostgreSQL's 8000-byte limit.
const maxIDsPerEvent = 64

// idleCheck is how long the listener waits for a notification before it
// checks that its connection is still alive.
const idleCheck = 30 * time.Second

// Notifier keeps the credential caches of replicas sharing one database
// coherent. As a service.Invalidator it applies each invalidation to the
// local cache and publishes it on Channel; a listener on a dedicated
// connection applies the other replicas' invalidations. Whenever the
// listener (re)connects it empties the local cache, since notifications sent
// while it was away are lost. A notification that is lost anyway is covered
// by the cache's lifetime. Methods are safe for concurrent use.
type Notifier struct {
	db    *DB
	cache Cache
	log   *slog.Logger
	src   string // this process's id; its own events are not applied twice

	vectors VectorSink // nil: no vector changes applied

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewNotifier returns a Notifier for cache publishing through d. It does
// nothing until Start; d.Close stops it.
func (d *DB) NewNotifier(cache Cache, log *slog.Logger) *Notifier {
	b := make([]byte, 8)
	rand.Read(b)
	n := &Notifier{db: d, cache: cache, log: log, src: hex.EncodeToString(b)}
	d.mu.Lock()
	d.notifiers = append(d.notifiers, n)
	d.mu.Unlock()
	return n
}

// Start connects the listener and returns once it is listening, so that no
// invalidation published after Start returns is missed; it then keeps
// listening in the background, reconnecting with backoff, until Close.
func (n *Notifier) Start(ctx context.Context) error {
	conn, err := n.connect(ctx)
	if err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	n.mu.Lock()
	n.cancel, n.done = cancel, make(chan struct{})
	n.mu.Unlock()
	go n.run(bg, conn)
	return nil
}

// Close stops the listener and waits for it to finish. It is idempotent.
func (n *Notifier) Close() error {
	n.mu.Lock()
	cancel, done := n.cancel, n.done
	n.cancel = nil
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// InvalidateKeys drops the keys locally and on every other replica.
func (n *Notifier) InvalidateKeys(ids ...string) {
	n.cache.InvalidateKeys(ids...)
	for len(ids) > 0 {
		m := min(len(ids), maxIDsPerEvent)
		n.publish(event{Kind: kindKeys, IDs: ids[:m]})
		ids = ids[m:]
	}
}

// InvalidateUser drops the user's keys locally and on every other replica.
func (n *Notifier) InvalidateUser(id string) {
	n.cache.InvalidateUser(id)
	n.publish(event{Kind: kindUser, IDs: []string{id}})
}

// InvalidateApp drops the app's keys locally and on every other replica.
func (n *Notifier) InvalidateApp(ref clavis.AppRef) {
	n.cache.InvalidateApp(ref)
	n.publish(event{Kind: kindApp, IDs: []string{ref.OwnerID, ref.AppID}})
}

// InvalidateOwner drops the app keys of every app of an owner locally and on
// every other replica.
func (n *Notifier) InvalidateOwner(ownerID string) {
	n.cache.InvalidateOwner(ownerID)
	n.publish(event{Kind: kindOwner, IDs: []string{ownerID}})
}

// InvalidateGrants drops the cached grants on app of owner (every app of
// owner when app is empty) locally and on every other replica, as a grant
// event: replicas whose cache holds no grants ignore it. The database's
// triggers publish the changes of collaborators, members and teams
// themselves; this one carries the others (an app created, its row
// changed), and reaches this replica's cache at once.
func (n *Notifier) InvalidateGrants(owner, app string) {
	if gc, ok := n.cache.(GrantCache); ok {
		gc.InvalidateGrants(owner, app)
	}
	ids := []string{owner}
	if app != "" {
		ids = append(ids, app)
	}
	n.publish(event{Kind: kindGrant, IDs: ids})
}

// InvalidateAll empties the cache locally and on every other replica.
func (n *Notifier) InvalidateAll() {
	n.cache.InvalidateAll()
	n.publish(event{Kind: kindAll})
}

// publish sends e to the other replicas. The caller has already committed
// the change; a failure is logged, and the other replicas' cache lifetime
// bounds the staleness.
func (n *Notifier) publish(e event) {
	e.Src = n.src
	payload, err := json.Marshal(e)
	if err != nil {
		n.log.Error("encode cache invalidation", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := n.db.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, string(payload)); err != nil {
		n.log.Error("publish cache invalidation", "kind", e.Kind, "err", err)
	}
}

// apply applies another replica's event to the local cache.
func (n *Notifier) apply(payload string) {
	var e event
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		n.log.Warn("malformed cache invalidation; emptying the cache", "err", err)
		n.cache.InvalidateAll()
		return
	}
	if e.Src == n.src {
		return
	}
	switch {
	case e.Kind == kindKeys:
		n.cache.InvalidateKeys(e.IDs...)
	case e.Kind == kindUser && len(e.IDs) == 1:
		n.cache.InvalidateUser(e.IDs[0])
	case e.Kind == kindApp && len(e.IDs) == 2:
		n.cache.InvalidateApp(clavis.AppRef{OwnerID: e.IDs[0], AppID: e.IDs[1]})
	case e.Kind == kindOwner && len(e.IDs) == 1:
		n.cache.InvalidateOwner(e.IDs[0])
	case e.Kind == kindGrant && (len(e.IDs) == 1 || len(e.IDs) == 2):
		if gc, ok := n.cache.(GrantCache); ok {
			gc.InvalidateGrants(e.IDs[0], append(e.IDs[1:], "")[0])
		}
	default:
		// "all", or a kind from a newer replica: the safe answer.
		n.cache.InvalidateAll()
	}
}

// connect opens the dedicated listening connection.
func (n *Notifier) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(n.db.dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	for _, ch := range []string{Channel, VectorChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			conn.Close(context.Background())
			return nil, err
		}
	}
	return conn, nil
}

// run receives notifications until ctx ends, reconnecting when the
// connection fails.
func (n *Notifier) run(ctx context.Context, conn *pgx.Conn) {
	defer close(n.done)
	const minBackoff, maxBackoff = 100 * time.Millisecond, 5 * time.Second
	backoff := minBackoff
	for {
		if conn == nil {
			c, err := n.connect(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				n.log.Warn("cache invalidation listener: reconnect failed", "err", err, "retry_in", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			conn, backoff = c, minBackoff
			// Invalidations and vector changes published while
			// disconnected are lost.
			n.cache.InvalidateAll()
			n.resyncVectors()
			n.log.Info("cache invalidation listener reconnected; cache emptied")
		}
		err := n.wait(ctx, conn)
		if err == nil {
			continue
		}
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		conn = nil
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("cache invalidation listener: connection lost", "err", err)
	}
}

// wait waits for one notification and applies it. After idleCheck without
// one it pings the connection, so that a silently dead connection is noticed.
func (n *Notifier) wait(ctx context.Context, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, idleCheck)
	nf, err := conn.WaitForNotification(wctx)
	cancel()
	if err == nil {
		if nf.Channel == VectorChannel {
			n.applyVectors(nf.Payload)
		} else {
			n.apply(nf.Payload)
		}
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.Ping(pctx)
}
