package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// BlobOpener returns a new, empty store and the blob store that goes with
// it; it registers its own cleanup.
type BlobOpener func(t *testing.T) (clavis.Store, clavis.BlobStore)

// RunBlobs runs the suite of a blob store, against the store whose
// references it serves.
func RunBlobs(t *testing.T, open BlobOpener) {
	t.Run("PutGetDelete", func(t *testing.T) { testBlobs(t, open) })
	t.Run("Spaces", func(t *testing.T) { testBlobSpaces(t, open) })
}

// reserve references content in app as writers do before storing it.
func reserve(t *testing.T, s clavis.Store, app clavis.AppRef, contents ...string) []clavis.BlobKey {
	t.Helper()
	var refs []clavis.BlobRef
	for _, c := range contents {
		refs = append(refs, clavis.BlobRef{SHA256: digest(c), Size: int64(len(c))})
	}
	keys, err := s.Inputs().ReserveBlobs(ctx, app, refs, now(), now().Add(time.Minute))
	ok(t, err)
	return keys
}

func testBlobs(t *testing.T, open BlobOpener) {
	s, b := open(t)
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	keys := reserve(t, s, ref, "one", "two")
	_, err := b.GetBlob(ctx, keys[0])
	mustCode(t, err, clavis.ENotFound)
	ok(t, b.PutBlob(ctx, keys[0], []byte("one")))
	ok(t, b.PutBlob(ctx, keys[0], []byte("one"))) // again: harmless
	ok(t, b.PutBlob(ctx, keys[1], []byte("two")))
	got, err := b.GetBlob(ctx, keys[0])
	ok(t, err)
	if !bytes.Equal(got, []byte("one")) {
		t.Fatalf("GetBlob = %q", got)
	}
	var walked []string
	ok(t, b.WalkBlobs(ctx, func(k clavis.BlobKey) error { walked = append(walked, k.SHA256); return nil }))
	slices.Sort(walked)
	want := []string{digest("one"), digest("two")}
	slices.Sort(want)
	if !slices.Equal(walked, want) {
		t.Fatalf("WalkBlobs = %v, want %v", walked, want)
	}
	ok(t, b.DeleteBlob(ctx, keys[0]))
	ok(t, b.DeleteBlob(ctx, keys[0])) // missing: no error
	_, err = b.GetBlob(ctx, keys[0])
	mustCode(t, err, clavis.ENotFound)
	if got, err := b.GetBlob(ctx, keys[1]); err != nil || string(got) != "two" {
		t.Fatalf("deleting one blob touched another: %q %v", got, err)
	}
}

func testBlobSpaces(t *testing.T, open BlobOpener) {
	s, b := open(t)
	user(t, s, "alice")
	app(t, s, "alice", "one")
	app(t, s, "alice", "two")
	k1 := reserve(t, s, clavis.AppRef{OwnerID: "alice", AppID: "one"}, "same")[0]
	k2 := reserve(t, s, clavis.AppRef{OwnerID: "alice", AppID: "two"}, "same")[0]
	ok(t, b.PutBlob(ctx, k1, []byte("same")))
	ok(t, b.PutBlob(ctx, k2, []byte("same")))
	ok(t, b.DeleteSpace(ctx, k1.Space))
	if _, err := b.GetBlob(ctx, k1); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("blob of a deleted space: %v", err)
	}
	if got, err := b.GetBlob(ctx, k2); err != nil || string(got) != "same" {
		t.Fatalf("deleting a space touched another's equal blob: %q %v", got, err)
	}
}
