package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// VectorChannel is the PostgreSQL notification channel that carries the
// changes of stored embeddings between replicas, so that each keeps its
// vector index current.
const VectorChannel = "clavis_vectors"

// VectorSink is a replica's vector index, as the Notifier keeps it
// current from the other replicas' changes.
type VectorSink interface {
	// Added reads the embeddings of sp with the given input ids from the
	// store and indexes them (ids it no longer holds count as deleted).
	Added(ctx context.Context, sp clavis.EmbeddingSpace, ids ...string) error
	// Deleted drops the embeddings of sp with the given input ids.
	Deleted(sp clavis.EmbeddingSpace, ids ...string)
	// Resync rebuilds the index from the store, for when changes may have
	// been missed.
	Resync(ctx context.Context) error
}

// vectorEvent is the JSON payload of a notification on VectorChannel.
type vectorEvent struct {
	Src     string   `json:"src"`
	Deleted bool     `json:"deleted,omitempty"`
	Owner   string   `json:"owner"`
	App     string   `json:"app"`
	Version string   `json:"version"`
	IDs     []string `json:"ids"`
}

// ListenVectors has the Notifier apply the other replicas' embedding
// changes to sink, and rebuild it whenever the listener reconnects. Call it
// before Start.
func (n *Notifier) ListenVectors(sink VectorSink) { n.vectors = sink }

// VectorsAdded tells the other replicas that embeddings of sp were stored,
// after the change is committed. A failure is logged: their indexes catch
// up at their next Resync, and their searches drop hits whose inputs are
// gone meanwhile.
func (n *Notifier) VectorsAdded(sp clavis.EmbeddingSpace, ids ...string) {
	n.publishVectors(vectorEvent{Owner: sp.App.OwnerID, App: sp.App.AppID, Version: sp.Version}, ids)
}

// VectorsDeleted tells the other replicas that embeddings of sp were
// deleted.
func (n *Notifier) VectorsDeleted(sp clavis.EmbeddingSpace, ids ...string) {
	n.publishVectors(vectorEvent{Deleted: true, Owner: sp.App.OwnerID, App: sp.App.AppID, Version: sp.Version}, ids)
}

func (n *Notifier) publishVectors(e vectorEvent, ids []string) {
	e.Src = n.src
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for len(ids) > 0 {
		m := min(len(ids), maxIDsPerEvent)
		e.IDs, ids = ids[:m], ids[m:]
		payload, err := json.Marshal(e)
		if err != nil {
			n.log.Error("encode vector change", "err", err)
			return
		}
		if _, err := n.db.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, VectorChannel, string(payload)); err != nil {
			n.log.Error("publish vector change", "err", err)
			return
		}
	}
}

// applyVectors applies another replica's embedding change to the sink.
func (n *Notifier) applyVectors(payload string) {
	if n.vectors == nil {
		return
	}
	var e vectorEvent
	if err := json.Unmarshal([]byte(payload), &e); err != nil {
		n.log.Warn("malformed vector change; rebuilding the vector index", "err", err)
		n.resyncVectors()
		return
	}
	if e.Src == n.src {
		return
	}
	sp := clavis.EmbeddingSpace{App: clavis.AppRef{OwnerID: e.Owner, AppID: e.App}, Version: e.Version}
	if e.Deleted {
		n.vectors.Deleted(sp, e.IDs...)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.vectors.Added(ctx, sp, e.IDs...); err != nil {
		n.log.Warn("apply vector change", "err", err)
	}
}

// resyncVectors rebuilds the sink in the background: the old index serves
// until the new one is ready.
func (n *Notifier) resyncVectors() {
	if n.vectors == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := n.vectors.Resync(ctx); err != nil {
			n.log.Warn("rebuild the vector index", "err", err)
		}
	}()
}
