package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// setStatus marks inputs of app done (InputSuccess).
func setStatus(t *testing.T, s clavis.Store, app clavis.AppRef, st clavis.InputStatus, ids ...string) {
	t.Helper()
	for _, id := range ids {
		in, err := s.Inputs().GetInput(ctx, app, id)
		ok(t, err)
		in.Status = st
		ok(t, s.Inputs().UpdateInput(ctx, in))
	}
}

func embeddingIDs(es []clavis.InputEmbedding) []string {
	out := idsOf(es, func(e clavis.InputEmbedding) string { return e.InputID })
	slices.Sort(out)
	return out
}

func testEmbeddings(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	app(t, s, "alice", "other")
	ref, other := clavis.AppRef{OwnerID: "alice", AppID: "photos"}, clavis.AppRef{OwnerID: "alice", AppID: "other"}
	storedInputs(t, s, ref, "a", "b", "c")
	storedInputs(t, s, other, "a")
	e := s.Embeddings()
	sp := clavis.EmbeddingSpace{App: ref, Version: "v1"}

	mustCode(t, e.PutEmbedding(ctx, ref, "v1", "nope", []float32{1}, now()), clavis.ENotFound)
	mustCode(t, e.PutEmbedding(ctx, clavis.AppRef{OwnerID: "alice", AppID: "none"}, "v1", "a", []float32{1}, now()), clavis.ENotFound)
	ok(t, e.PutEmbedding(ctx, ref, "v1", "b", []float32{0, 1, -0.5}, now()))
	ok(t, e.PutEmbedding(ctx, ref, "v1", "a", []float32{9, 9, 9}, now()))
	ok(t, e.PutEmbedding(ctx, ref, "v1", "a", []float32{1, 0, 0.25}, now())) // replaces
	ok(t, e.PutEmbedding(ctx, ref, "v2", "c", []float32{1}, now()))
	ok(t, e.PutEmbedding(ctx, other, "v1", "a", []float32{5, 5, 5}, now()))

	spaces, err := e.EmbeddingSpaces(ctx, "v1")
	ok(t, err)
	if want := []clavis.EmbeddingSpace{{App: other, Version: "v1"}, sp}; !slices.Equal(spaces, want) {
		t.Fatalf("EmbeddingSpaces(v1) = %v, want %v", spaces, want)
	}
	if all, _ := e.EmbeddingSpaces(ctx, ""); len(all) != 3 {
		t.Fatalf("EmbeddingSpaces() = %v, want 3", all)
	}
	page, err := e.ListEmbeddings(ctx, sp, "", 1)
	ok(t, err)
	if len(page) != 1 || page[0].InputID != "a" || !slices.Equal(page[0].Vector, []float32{1, 0, 0.25}) {
		t.Fatalf("first page = %+v", page)
	}
	page, err = e.ListEmbeddings(ctx, sp, "a", 10)
	ok(t, err)
	if len(page) != 1 || page[0].InputID != "b" || !slices.Equal(page[0].Vector, []float32{0, 1, -0.5}) {
		t.Fatalf("page after a = %+v", page)
	}
	got, err := e.GetEmbeddings(ctx, sp, []string{"b", "c", "zz", "a"})
	ok(t, err)
	if ids := embeddingIDs(got); !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("GetEmbeddings = %v, want a and b (c has none of v1)", ids)
	}

	// Deleting an input deletes its embeddings; deleting the app hides
	// them at once.
	_, err = s.Inputs().DeleteInputs(ctx, ref, []string{"b"}, now())
	ok(t, err)
	if got, _ := e.GetEmbeddings(ctx, sp, []string{"b"}); len(got) != 0 {
		t.Fatalf("a deleted input's embedding remains: %+v", got)
	}
	ok(t, s.Apps().DeleteApp(ctx, other))
	app(t, s, "alice", "other")
	if got, _ := e.GetEmbeddings(ctx, clavis.EmbeddingSpace{App: other, Version: "v1"}, []string{"a"}); len(got) != 0 {
		t.Fatalf("a re-created app sees the deleted one's embeddings: %+v", got)
	}
	if spaces, _ := e.EmbeddingSpaces(ctx, "v1"); !slices.Equal(spaces, []clavis.EmbeddingSpace{sp}) {
		t.Fatalf("EmbeddingSpaces after deleting an app = %v", spaces)
	}
}

func testQueueMissingEmbeddings(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	storedInputs(t, s, ref, "done", "embedded", "pending", "failed")
	setStatus(t, s, ref, clavis.InputSuccess, "done", "embedded")
	setStatus(t, s, ref, clavis.InputFailed, "failed")
	ok(t, s.Embeddings().PutEmbedding(ctx, ref, "v1", "embedded", []float32{1}, now()))

	n, err := s.Embeddings().QueueMissingEmbeddings(ctx, "embed", "v1", now())
	ok(t, err)
	js, err := s.Jobs().ListJobs(ctx, clavis.JobFilter{Kind: "embed"}, clavis.Page{})
	ok(t, err)
	if n != 1 || len(js) != 1 || js[0].InputID != "done" || js[0].App == nil || *js[0].App != ref || js[0].State != clavis.JobQueued {
		t.Fatalf("queued %d: %+v; want one job for the stored input without an embedding", n, js)
	}
	// Its job is queued: calling again queues nothing.
	if n, err := s.Embeddings().QueueMissingEmbeddings(ctx, "embed", "v1", now()); err != nil || n != 0 {
		t.Fatalf("queued again: %d, %v", n, err)
	}
	// Once the job is done (and its embedding stored) nothing is missing;
	// a new model version misses both.
	claimed, err := s.Jobs().ClaimJobs(ctx, clavis.JobClaim{Owner: "w", Kinds: []string{"embed"}, Limit: 1, Now: now(), LeaseUntil: now().Add(time.Minute)})
	ok(t, err)
	ok(t, s.Embeddings().PutEmbedding(ctx, ref, "v1", "done", []float32{1}, now()))
	ok(t, s.Jobs().CompleteJob(ctx, claimed[0].ID, "w"))
	if n, err := s.Embeddings().QueueMissingEmbeddings(ctx, "embed", "v1", now()); err != nil || n != 0 {
		t.Fatalf("queued with every input embedded: %d, %v", n, err)
	}
	if n, err := s.Embeddings().QueueMissingEmbeddings(ctx, "embed", "v2", now()); err != nil || n != 2 {
		t.Fatalf("queued for a new version: %d, %v; want 2", n, err)
	}
	// A deleted app's inputs are not queued.
	ok(t, s.Apps().DeleteApp(ctx, ref))
	if n, err := s.Embeddings().QueueMissingEmbeddings(ctx, "embed", "v3", now()); err != nil || n != 0 {
		t.Fatalf("queued for a deleted app: %d, %v", n, err)
	}
}
