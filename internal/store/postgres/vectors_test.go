package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/postgres/pgtest"
)

// vectorRecorder is a VectorSink that records the changes applied to it.
type vectorRecorder struct{ recorder }

func (r *vectorRecorder) Added(_ context.Context, sp clavis.EmbeddingSpace, ids ...string) error {
	r.add(fmt.Sprintf("added %s/%s/%s %s", sp.App.OwnerID, sp.App.AppID, sp.Version, strings.Join(ids, ",")))
	return nil
}

func (r *vectorRecorder) Deleted(sp clavis.EmbeddingSpace, ids ...string) {
	r.add(fmt.Sprintf("deleted %s/%s/%s %s", sp.App.OwnerID, sp.App.AppID, sp.Version, strings.Join(ids, ",")))
}

func (r *vectorRecorder) Resync(context.Context) error { r.add("resync"); return nil }

func vectorNotifier(t *testing.T, dsn string) (*postgres.Notifier, *vectorRecorder) {
	t.Helper()
	n := open(t, dsn).NewNotifier(&recorder{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := &vectorRecorder{}
	n.ListenVectors(rec)
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n, rec
}

// TestPostgresVectorFeed publishes embedding changes from one replica: the
// others apply them (in notifications of at most 64 ids), the publisher
// does not.
func TestPostgresVectorFeed(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	one, rec1 := vectorNotifier(t, dsn)
	_, rec2 := vectorNotifier(t, dsn)
	sp := clavis.EmbeddingSpace{App: clavis.AppRef{OwnerID: "alice", AppID: "photos"}, Version: "v1"}
	ids := make([]string, 70)
	for i := range ids {
		ids[i] = fmt.Sprintf("in%02d", i)
	}
	one.VectorsAdded(sp, ids...)
	one.VectorsDeleted(sp, "in03")
	rec2.waitFor(t, "added alice/photos/v1 "+strings.Join(ids[:64], ","), 1)
	rec2.waitFor(t, "added alice/photos/v1 "+strings.Join(ids[64:], ","), 1)
	rec2.waitFor(t, "deleted alice/photos/v1 in03", 1)
	if got := rec1.all(); len(got) != 0 {
		t.Errorf("the publisher applied its own changes: %v", got)
	}
}
