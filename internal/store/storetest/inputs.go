package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// digest returns the hex SHA-256 of s, as blob keys name content.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// inputOf returns a pending input of app with a created time step µs after
// a base, so that list order is known.
func inputOf(app clavis.AppRef, id string, step int) *clavis.StoredInput {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(step) * time.Microsecond)
	return &clavis.StoredInput{App: app, ID: id, Status: clavis.InputPending, Metadata: map[string]any{"n": float64(step)},
		UserID: app.OwnerID, CreatedAt: at, UpdatedAt: at}
}

// storedInputs creates inputs of app with blobs of content "img-<id>",
// reserving the blobs first as writers do.
func storedInputs(t *testing.T, s clavis.Store, app clavis.AppRef, ids ...string) []*clavis.StoredInput {
	t.Helper()
	var refs []clavis.BlobRef
	for _, id := range ids {
		refs = append(refs, clavis.BlobRef{SHA256: digest("img-" + id), Size: int64(len("img-" + id))})
	}
	keys, err := s.Inputs().ReserveBlobs(ctx, app, refs, now(), now().Add(time.Minute))
	ok(t, err)
	var ins []*clavis.StoredInput
	for i, id := range ids {
		in := inputOf(app, id, i)
		in.Blob, in.Size, in.Image = &keys[i], refs[i].Size, clavis.ImageInfo{Width: 4, Height: 3, Format: "png"}
		ins = append(ins, in)
	}
	ok(t, s.Inputs().CreateInputs(ctx, app, ins))
	return ins
}

func inputIDs(ins []*clavis.StoredInput) []string {
	return idsOf(ins, func(in *clavis.StoredInput) string { return in.ID })
}

// idsOf returns the ids of xs, in order.
func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func testInputs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}

	// An app that never stored anything has nothing, and no usage.
	list, err := s.Inputs().ListInputs(ctx, ref, clavis.InputFilter{}, clavis.Page{})
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("ListInputs of a new app = %v", inputIDs(list))
	}
	u, err := s.Inputs().Usage(ctx, ref)
	ok(t, err)
	if u != (clavis.Usage{}) {
		t.Fatalf("Usage of a new app = %+v", u)
	}
	_, err = s.Inputs().GetInput(ctx, ref, "nope")
	mustCode(t, err, clavis.ENotFound)

	ins := storedInputs(t, s, ref, "a", "b", "c")
	got, err := s.Inputs().GetInput(ctx, ref, "b")
	ok(t, err)
	if got.Blob == nil || got.Blob.SHA256 != digest("img-b") || got.Blob.Space == "" || got.Image.Width != 4 ||
		got.Metadata["n"] != float64(1) || !got.CreatedAt.Equal(ins[1].CreatedAt) || got.Status != clavis.InputPending {
		t.Fatalf("GetInput = %+v", got)
	}
	// Newest first.
	list, err = s.Inputs().ListInputs(ctx, ref, clavis.InputFilter{}, clavis.Page{})
	ok(t, err)
	if !slices.Equal(inputIDs(list), []string{"c", "b", "a"}) {
		t.Fatalf("ListInputs = %v, want c, b, a", inputIDs(list))
	}
	list, err = s.Inputs().ListInputs(ctx, ref, clavis.InputFilter{}, clavis.Page{Number: 2, Size: 2})
	ok(t, err)
	if !slices.Equal(inputIDs(list), []string{"a"}) {
		t.Fatalf("page 2 of 2 = %v, want a", inputIDs(list))
	}
	mustCode(t, s.Inputs().CreateInputs(ctx, ref, []*clavis.StoredInput{inputOf(ref, "d", 9), inputOf(ref, "a", 9)}), clavis.EInputDuplicate)
	if _, err := s.Inputs().GetInput(ctx, ref, "d"); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("a refused batch stored some of its inputs: %v", err)
	}

	got.Status, got.StatusDetails, got.Metadata, got.UpdatedAt = clavis.InputFailed, "broken", map[string]any{"k": "v"}, now()
	ok(t, s.Inputs().UpdateInput(ctx, got))
	list, err = s.Inputs().ListInputs(ctx, ref, clavis.InputFilter{Status: clavis.InputFailed}, clavis.Page{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != "b" || list[0].StatusDetails != "broken" || list[0].Metadata["k"] != "v" {
		t.Fatalf("ListInputs(failed) = %+v", list)
	}
	list, err = s.Inputs().ListInputs(ctx, ref, clavis.InputFilter{IDs: []string{"a", "c", "zz"}}, clavis.Page{})
	ok(t, err)
	if !slices.Equal(inputIDs(list), []string{"c", "a"}) {
		t.Fatalf("ListInputs(ids) = %v", inputIDs(list))
	}
	mustCode(t, s.Inputs().UpdateInput(ctx, inputOf(ref, "zz", 0)), clavis.ENotFound)
	counts, err := s.Inputs().CountInputs(ctx, ref)
	ok(t, err)
	if counts != (clavis.InputCounts{Pending: 2, Failed: 1}) {
		t.Fatalf("CountInputs = %+v", counts)
	}
	u, err = s.Inputs().Usage(ctx, ref)
	ok(t, err)
	if u.Inputs != 3 || u.Bytes != int64(3*len("img-a")) {
		t.Fatalf("Usage = %+v", u)
	}

	// Deleting inputs frees their blobs, unless reserved; missing ids are
	// ignored.
	freed, err := s.Inputs().DeleteInputs(ctx, ref, []string{"a", "missing"}, now().Add(time.Hour))
	ok(t, err)
	if len(freed) != 1 || freed[0].SHA256 != digest("img-a") {
		t.Fatalf("DeleteInputs freed %v", freed)
	}
	if yes := referenced(t, s, freed[0]); yes {
		t.Fatalf("referenced(freed) = %v", yes)
	}
	freed, err = s.Inputs().DeleteInputs(ctx, ref, []string{"b"}, now())
	ok(t, err)
	if len(freed) != 0 {
		t.Fatalf("DeleteInputs freed a reserved blob: %v", freed)
	}
	_, err = s.Inputs().GetInput(ctx, ref, "b")
	mustCode(t, err, clavis.ENotFound)
	u, err = s.Inputs().Usage(ctx, ref)
	ok(t, err)
	if u.Inputs != 1 || u.Bytes != int64(2*len("img-a")) {
		t.Fatalf("Usage after deletes = %+v", u)
	}
	// The reservation of b's blob ends: the sweep frees it, and keeps c's,
	// which an input uses.
	released, err := s.Inputs().ReleaseExpiredBlobs(ctx, now().Add(2*time.Minute), 100)
	ok(t, err)
	if len(released) != 1 || released[0].SHA256 != digest("img-b") {
		t.Fatalf("ReleaseExpiredBlobs = %v", released)
	}
	c, _ := s.Inputs().GetInput(ctx, ref, "c")
	if yes := referenced(t, s, *c.Blob); !yes {
		t.Fatalf("the blob of c is not referenced: %v %v", yes, err)
	}
	mustCode(t, s.Inputs().CreateInputs(ctx, clavis.AppRef{OwnerID: "alice", AppID: "nope"}, []*clavis.StoredInput{inputOf(ref, "x", 0)}), clavis.ENotFound)
}

func testBlobRefs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "one")
	app(t, s, "alice", "two")
	one, two := clavis.AppRef{OwnerID: "alice", AppID: "one"}, clavis.AppRef{OwnerID: "alice", AppID: "two"}
	// Equal content in one app is stored once; in two apps, twice.
	dup := []clavis.BlobRef{{SHA256: digest("x"), Size: 10}, {SHA256: digest("x"), Size: 10}}
	k1, err := s.Inputs().ReserveBlobs(ctx, one, dup, now(), now().Add(time.Minute))
	ok(t, err)
	k2, err := s.Inputs().ReserveBlobs(ctx, two, dup[:1], now(), now().Add(time.Minute))
	ok(t, err)
	if k1[0] != k1[1] || k1[0].Space == k2[0].Space {
		t.Fatalf("keys %v and %v", k1, k2)
	}
	u, _ := s.Inputs().Usage(ctx, one)
	if u.Bytes != 10 {
		t.Fatalf("bytes of one = %d, want 10 (counted once)", u.Bytes)
	}
	a, b := inputOf(one, "a", 0), inputOf(one, "b", 1)
	a.Blob, b.Blob = &k1[0], &k1[1]
	ok(t, s.Inputs().CreateInputs(ctx, one, []*clavis.StoredInput{a, b}))
	// A blob another input of the app uses stays.
	freed, err := s.Inputs().DeleteInputs(ctx, one, []string{"a"}, now().Add(time.Hour))
	ok(t, err)
	if len(freed) != 0 {
		t.Fatalf("freed a blob input b uses: %v", freed)
	}
	freed, err = s.Inputs().DeleteInputs(ctx, one, []string{"b"}, now().Add(time.Hour))
	ok(t, err)
	if len(freed) != 1 || freed[0] != k1[0] {
		t.Fatalf("freed %v, want %v", freed, k1[0])
	}
	if !referenced(t, s, k2[0]) {
		t.Fatal("the equal blob of app two went with app one's")
	}
	// Many keys of two spaces in one call: those with no reference come
	// back, in order.
	k3, err := s.Inputs().ReserveBlobs(ctx, two, []clavis.BlobRef{{SHA256: digest("y"), Size: 1}}, now(), now().Add(time.Minute))
	ok(t, err)
	none := clavis.BlobKey{Space: k2[0].Space, SHA256: digest("never")}
	gone, err := s.Inputs().UnreferencedBlobs(ctx, []clavis.BlobKey{k1[0], k2[0], none, k3[0], k1[0]})
	ok(t, err)
	if !slices.Equal(gone, []clavis.BlobKey{k1[0], none, k1[0]}) {
		t.Fatalf("UnreferencedBlobs = %v, want %v", gone, []clavis.BlobKey{k1[0], none, k1[0]})
	}
	u, _ = s.Inputs().Usage(ctx, one)
	if u != (clavis.Usage{}) {
		t.Fatalf("Usage of one after deleting everything = %+v", u)
	}
}

func testAddJobs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	_, err := s.Inputs().GetAddJob(ctx, ref, "job1")
	mustCode(t, err, clavis.ENotFound)
	ok(t, s.Inputs().PutAddJob(ctx, ref, "job1", 2, now()))
	var ins []*clavis.StoredInput
	for i, st := range []clavis.InputStatus{clavis.InputPending, clavis.InputPending, clavis.InputSuccess, clavis.InputInProgress} {
		in := inputOf(ref, fmt.Sprintf("i%d", i), i)
		in.Status, in.AddJobID = st, "job1"
		ins = append(ins, in)
	}
	ok(t, s.Inputs().CreateInputs(ctx, ref, ins))
	ok(t, s.Inputs().PutAddJob(ctx, ref, "job1", 1, now()))
	j, err := s.Inputs().GetAddJob(ctx, ref, "job1")
	ok(t, err)
	if j.Refused != 3 || j.Progress != (clavis.InputCounts{Pending: 2, Success: 1, InProgress: 1, Failed: 3}) {
		t.Fatalf("GetAddJob = %+v", j)
	}
	ok(t, s.Inputs().PutAddJob(ctx, ref, "job2", 0, now().Add(time.Second)))
	js, err := s.Inputs().ListAddJobs(ctx, ref, clavis.Page{})
	ok(t, err)
	if len(js) != 2 || js[0].ID != "job2" || js[1].Progress.Pending != 2 {
		t.Fatalf("ListAddJobs = %+v", js)
	}
	// Cancelling fails the pending inputs and drops their jobs.
	ok(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{{Kind: "k", App: &ref, InputID: "i0", RunAfter: now(), CreatedAt: now(), UpdatedAt: now()}}))
	ok(t, s.Inputs().CancelAddJob(ctx, ref, "job1", "cancelled", now()))
	j, err = s.Inputs().GetAddJob(ctx, ref, "job1")
	ok(t, err)
	if !j.Cancelled || j.Progress != (clavis.InputCounts{Success: 1, InProgress: 1, Failed: 5}) {
		t.Fatalf("after cancel: %+v", j)
	}
	left, err := s.Jobs().ListJobs(ctx, clavis.JobFilter{App: &ref}, clavis.Page{})
	ok(t, err)
	if len(left) != 0 {
		t.Fatalf("the cancelled inputs' jobs remain: %d", len(left))
	}
	mustCode(t, s.Inputs().CancelAddJob(ctx, ref, "nope", "x", now()), clavis.ENotFound)
}

// testPurge deletes an app holding data of every kind: the data is out of
// reach at once, an app made again with the same id starts empty, and
// PurgeDeleted removes everything in batches, returning the blobs.
func testPurge(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "big")
	app(t, s, "alice", "keep")
	big, keep := clavis.AppRef{OwnerID: "alice", AppID: "big"}, clavis.AppRef{OwnerID: "alice", AppID: "keep"}
	var ids []string
	for i := range 25 {
		ids = append(ids, fmt.Sprintf("in%02d", i))
	}
	storedInputs(t, s, big, ids...)
	storedInputs(t, s, keep, "k1")
	ok(t, s.Annotations().CreateAnnotations(ctx, big, []*clavis.Annotation{annotationOf(big, "an1", "in00", "alice")}))
	ok(t, s.Concepts().CreateConcepts(ctx, big, []*clavis.AppConcept{{App: big, ID: "cat", Name: "cat", CreatedAt: now(), UpdatedAt: now()}}))
	ok(t, s.Inputs().PutAddJob(ctx, big, "job", 0, now()))
	ok(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{{Kind: "k", App: &big, InputID: "in01", RunAfter: now(), CreatedAt: now(), UpdatedAt: now()},
		{Kind: "k", App: &big, RunAfter: now(), CreatedAt: now(), UpdatedAt: now()}}))

	ok(t, s.Apps().DeleteApp(ctx, big))
	app(t, s, "alice", "big")
	list, err := s.Inputs().ListInputs(ctx, big, clavis.InputFilter{}, clavis.Page{})
	ok(t, err)
	u, _ := s.Inputs().Usage(ctx, big)
	cs, _ := s.Concepts().ListConcepts(ctx, big, "", clavis.Page{})
	js, _ := s.Jobs().ListJobs(ctx, clavis.JobFilter{App: &big}, clavis.Page{})
	if len(list) != 0 || u != (clavis.Usage{}) || len(cs) != 0 || len(js) != 0 {
		t.Fatalf("the new app of the same id sees the old one's data: %d inputs, %+v, %d concepts, %d jobs", len(list), u, len(cs), len(js))
	}
	// Claimed, a job of the deleted app has no app.
	claimed, err := s.Jobs().ClaimJobs(ctx, clavis.JobClaim{Owner: "w", Kinds: []string{"k"}, Limit: 10, Now: now(), LeaseUntil: now().Add(time.Minute)})
	ok(t, err)
	if len(claimed) != 2 || claimed[0].App != nil {
		t.Fatalf("claimed %d jobs, the first of app %v", len(claimed), claimed[0].App)
	}

	var blobs []clavis.BlobKey
	var spaces []string
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("PurgeDeleted does not finish")
		}
		p, err := s.Inputs().PurgeDeleted(ctx, 10)
		ok(t, err)
		blobs, spaces = append(blobs, p.Blobs...), append(spaces, p.Spaces...)
		if !p.More {
			break
		}
	}
	if len(blobs) != 25 || len(spaces) != 1 || blobs[0].Space != spaces[0] {
		t.Fatalf("purge returned %d blobs and spaces %v", len(blobs), spaces)
	}
	for _, k := range blobs {
		if referenced(t, s, k) {
			t.Fatalf("purged blob %v still referenced", k)
		}
	}
	if _, err := s.Jobs().GetJob(ctx, claimed[0].ID); clavis.ErrorCode(err) != clavis.ENotFound {
		t.Fatalf("a job of the purged app remains: %v", err)
	}
	if _, err := s.Inputs().GetInput(ctx, keep, "k1"); err != nil {
		t.Fatalf("purge touched another app: %v", err)
	}
	p, err := s.Inputs().PurgeDeleted(ctx, 10)
	ok(t, err)
	if p.More || len(p.Blobs)+len(p.Spaces) != 0 {
		t.Fatalf("nothing left to purge, yet %+v", p)
	}
	// Deleting the owner hides every app's data too.
	ok(t, s.Users().DeleteUser(ctx, "alice"))
	p, err = s.Inputs().PurgeDeleted(ctx, 100)
	ok(t, err)
	for p.More {
		q, err := s.Inputs().PurgeDeleted(ctx, 100)
		ok(t, err)
		p.Spaces, p.More = append(p.Spaces, q.Spaces...), q.More
	}
	if len(p.Spaces) != 1 {
		t.Fatalf("after deleting the owner, purged spaces %v, want keep's", p.Spaces)
	}
}

func testInputsCrossTenant(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	user(t, s, "bob")
	app(t, s, "alice", "same")
	app(t, s, "bob", "same")
	alice, bob := clavis.AppRef{OwnerID: "alice", AppID: "same"}, clavis.AppRef{OwnerID: "bob", AppID: "same"}
	storedInputs(t, s, alice, "secret")
	ok(t, s.Concepts().CreateConcepts(ctx, alice, []*clavis.AppConcept{{App: alice, ID: "c", Name: "c", CreatedAt: now(), UpdatedAt: now()}}))
	_, err := s.Inputs().GetInput(ctx, bob, "secret")
	mustCode(t, err, clavis.ENotFound)
	list, _ := s.Inputs().ListInputs(ctx, bob, clavis.InputFilter{IDs: []string{"secret"}}, clavis.Page{})
	cs, _ := s.Concepts().ListConcepts(ctx, bob, "", clavis.Page{})
	if len(list)+len(cs) != 0 {
		t.Fatalf("bob sees alice's data: %d inputs, %d concepts", len(list), len(cs))
	}
	mustCode(t, s.Inputs().UpdateInput(ctx, inputOf(bob, "secret", 0)), clavis.ENotFound)
	_, err = s.Inputs().DeleteInputs(ctx, bob, []string{"secret"}, now())
	ok(t, err)
	mustCode(t, s.Annotations().CreateAnnotations(ctx, bob, []*clavis.Annotation{annotationOf(bob, "x", "secret", "bob")}), clavis.ENotFound)
	if _, err := s.Inputs().GetInput(ctx, alice, "secret"); err != nil {
		t.Fatalf("bob's calls touched alice's input: %v", err)
	}
}

// referenced reports whether key is referenced, by UnreferencedBlobs.
func referenced(t *testing.T, s clavis.Store, key clavis.BlobKey) bool {
	t.Helper()
	gone, err := s.Inputs().UnreferencedBlobs(ctx, []clavis.BlobKey{key})
	if err != nil {
		t.Fatal(err)
	}
	return len(gone) == 0
}
