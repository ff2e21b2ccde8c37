package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clavis-dev/clavis/clavis"
)

// annotationOf returns an input-level annotation by a user.
func annotationOf(app clavis.AppRef, id, input, user string) *clavis.Annotation {
	return &clavis.Annotation{App: app, ID: id, InputID: input, Worker: clavis.Worker{UserID: user}, InputLevel: true,
		Concepts: []clavis.Concept{{ID: "cat", Name: "cat", Value: 1}, {ID: "dog", Value: 0}}, CreatedAt: now(), UpdatedAt: now()}
}

func annotationIDs(as []*clavis.Annotation) []string {
	return idsOf(as, func(a *clavis.Annotation) string { return a.ID })
}

func testAnnotations(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	storedInputs(t, s, ref, "a", "b")
	mine := annotationOf(ref, "an1", "a", "alice")
	base := mine.CreatedAt
	model := &clavis.Annotation{App: ref, ID: "an2", InputID: "a", CreatedAt: base.Add(time.Millisecond), UpdatedAt: base,
		Worker:   clavis.Worker{Model: &clavis.ModelRef{App: clavis.AppRef{OwnerID: "clarifai", AppID: "main"}, ID: "general", VersionID: "v1"}},
		Concepts: []clavis.Concept{{ID: "cat", Name: "cat", Value: 0.97}}, InputLevel: true}
	region := &clavis.Annotation{App: ref, ID: "an3", InputID: "b", Worker: clavis.Worker{UserID: "bob"}, CreatedAt: now(), UpdatedAt: now(),
		Regions: []clavis.Region{{ID: "r1", Box: clavis.BoundingBox{Top: 0.1, Left: 0.2, Bottom: 0.5, Right: 0.6}, Concepts: []clavis.Concept{{ID: "cat", Value: 1}}},
			{ID: "r2", Polygon: []clavis.Point{{Row: 0.1, Col: 0.1}, {Row: 0.2, Col: 0.3}, {Row: 0.4, Col: 0.1}}}}}
	ok(t, s.Annotations().CreateAnnotations(ctx, ref, []*clavis.Annotation{mine, model, region}))

	got, err := s.Annotations().GetAnnotation(ctx, ref, "an3")
	ok(t, err)
	if got.InputLevel || got.Worker.UserID != "bob" || len(got.Regions) != 2 || got.Regions[0].Box.Right != 0.6 ||
		len(got.Regions[1].Polygon) != 3 || got.Regions[0].Concepts[0].ID != "cat" {
		t.Fatalf("GetAnnotation = %+v", got)
	}
	got, err = s.Annotations().GetAnnotation(ctx, ref, "an2")
	ok(t, err)
	if got.Worker.Model == nil || got.Worker.Model.VersionID != "v1" || got.Worker.Model.App.AppID != "main" || got.Concepts[0].Value != 0.97 {
		t.Fatalf("model annotation = %+v", got)
	}
	_, err = s.Annotations().GetAnnotation(ctx, ref, "nope")
	mustCode(t, err, clavis.ENotFound)

	// One input-level annotation per input and user; ids are unique; the
	// input must exist.
	mustCode(t, s.Annotations().CreateAnnotations(ctx, ref, []*clavis.Annotation{annotationOf(ref, "an9", "a", "alice")}), clavis.EConflict)
	mustCode(t, s.Annotations().CreateAnnotations(ctx, ref, []*clavis.Annotation{annotationOf(ref, "an1", "b", "alice")}), clavis.EConflict)
	mustCode(t, s.Annotations().CreateAnnotations(ctx, ref, []*clavis.Annotation{annotationOf(ref, "an9", "nope", "alice")}), clavis.ENotFound)
	bobs := annotationOf(ref, "an4", "a", "bob")
	bobs.CreatedAt = base.Add(2 * time.Millisecond)
	ok(t, s.Annotations().CreateAnnotations(ctx, ref, []*clavis.Annotation{bobs}))

	for _, c := range []struct {
		name string
		f    clavis.AnnotationFilter
		want []string
	}{
		{"all", clavis.AnnotationFilter{}, []string{"an1", "an2", "an4", "an3"}},
		{"users only", clavis.AnnotationFilter{UsersOnly: true}, []string{"an1", "an4", "an3"}},
		{"by input", clavis.AnnotationFilter{InputIDs: []string{"b"}}, []string{"an3"}},
		{"by id", clavis.AnnotationFilter{IDs: []string{"an4", "an2"}}, []string{"an2", "an4"}},
		{"by user or model version", clavis.AnnotationFilter{UserIDs: []string{"bob"}, ModelVersionIDs: []string{"v1"}}, []string{"an2", "an4", "an3"}},
		{"by model", clavis.AnnotationFilter{ModelIDs: []string{"general"}, UsersOnly: true}, []string{"an2"}},
	} {
		list, err := s.Annotations().ListAnnotations(ctx, ref, c.f, clavis.Page{})
		ok(t, err)
		if !slices.Equal(annotationIDs(list), c.want) {
			t.Errorf("%s: ListAnnotations = %v, want %v", c.name, annotationIDs(list), c.want)
		}
	}

	mine.Concepts, mine.UpdatedAt = []clavis.Concept{{ID: "bird", Value: 1}}, now()
	ok(t, s.Annotations().UpdateAnnotation(ctx, mine))
	got, _ = s.Annotations().GetAnnotation(ctx, ref, "an1")
	if len(got.Concepts) != 1 || got.Concepts[0].ID != "bird" {
		t.Fatalf("UpdateAnnotation not saved: %+v", got.Concepts)
	}
	mustCode(t, s.Annotations().UpdateAnnotation(ctx, annotationOf(ref, "nope", "a", "x")), clavis.ENotFound)

	n, err := s.Annotations().DeleteAnnotations(ctx, ref, clavis.AnnotationFilter{IDs: []string{"an4", "nope"}})
	ok(t, err)
	if n != 1 {
		t.Fatalf("DeleteAnnotations by id deleted %d", n)
	}
	// Deleting an input deletes its annotations.
	_, err = s.Inputs().DeleteInputs(ctx, ref, []string{"a"}, now())
	ok(t, err)
	list, err := s.Annotations().ListAnnotations(ctx, ref, clavis.AnnotationFilter{}, clavis.Page{})
	ok(t, err)
	if !slices.Equal(annotationIDs(list), []string{"an3"}) {
		t.Fatalf("after deleting input a: %v", annotationIDs(list))
	}
	n, err = s.Annotations().DeleteAnnotations(ctx, ref, clavis.AnnotationFilter{InputIDs: []string{"b"}})
	ok(t, err)
	if n != 1 {
		t.Fatalf("DeleteAnnotations by input deleted %d", n)
	}
}

func testConcepts(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	missing, err := s.Concepts().MissingConcepts(ctx, ref, []string{"cat", "dog", "cat"})
	ok(t, err)
	if !slices.Equal(missing, []string{"cat", "dog"}) {
		t.Fatalf("MissingConcepts of a new app = %v", missing)
	}
	mk := func(id, name string) *clavis.AppConcept {
		return &clavis.AppConcept{App: ref, ID: id, Name: name, CreatedAt: now(), UpdatedAt: now()}
	}
	ok(t, s.Concepts().CreateConcepts(ctx, ref, []*clavis.AppConcept{mk("cat", "Cat"), mk("dog", "Dog"), mk("hotdog", "hot dog")}))
	mustCode(t, s.Concepts().CreateConcepts(ctx, ref, []*clavis.AppConcept{mk("bird", "Bird"), mk("cat", "again")}), clavis.EConflict)
	_, err = s.Concepts().GetConcept(ctx, ref, "bird")
	mustCode(t, err, clavis.ENotFound)
	c, err := s.Concepts().GetConcept(ctx, ref, "cat")
	ok(t, err)
	if c.Name != "Cat" {
		t.Fatalf("GetConcept = %+v", c)
	}
	missing, err = s.Concepts().MissingConcepts(ctx, ref, []string{"cat", "bird"})
	ok(t, err)
	if !slices.Equal(missing, []string{"bird"}) {
		t.Fatalf("MissingConcepts = %v", missing)
	}
	list, err := s.Concepts().ListConcepts(ctx, ref, "dog", clavis.Page{})
	ok(t, err)
	if len(list) != 2 || list[0].ID != "dog" || list[1].ID != "hotdog" {
		t.Fatalf("ListConcepts(dog) = %+v", list)
	}
	c.Name, c.UpdatedAt = "Kitty", now()
	ok(t, s.Concepts().UpdateConcept(ctx, c))
	c, _ = s.Concepts().GetConcept(ctx, ref, "cat")
	if c.Name != "Kitty" {
		t.Fatalf("UpdateConcept not saved: %+v", c)
	}
	mustCode(t, s.Concepts().UpdateConcept(ctx, mk("nope", "x")), clavis.ENotFound)
}

func testJobs(t *testing.T, s clavis.Store) {
	user(t, s, "alice")
	app(t, s, "alice", "photos")
	ref := clavis.AppRef{OwnerID: "alice", AppID: "photos"}
	storedInputs(t, s, ref, "a")
	t0 := now()
	job := func(kind, input string, after time.Duration) *clavis.Job {
		return &clavis.Job{Kind: kind, App: &ref, InputID: input, Payload: "p", RunAfter: t0.Add(after), CreatedAt: t0, UpdatedAt: t0}
	}
	early, late, other := job("fetch", "a", 0), job("fetch", "", time.Hour), job("embed", "a", 0)
	ok(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{late, early, other}))
	if early.ID == "" || early.State != clavis.JobQueued {
		t.Fatalf("EnqueueJobs did not fill in the job: %+v", early)
	}
	mustCode(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{job("fetch", "nope", 0)}), clavis.ENotFound)
	// A taken id refuses the whole batch: the claims below see none of it.
	again := job("fetch", "a", 0)
	again.ID = early.ID
	mustCode(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{job("fetch", "a", 0), again, job("fetch", "a", 0)}), clavis.EConflict)
	again = job("fetch", "a", 0)
	again.ID = early.ID
	if err := s.Jobs().EnqueueJobs(ctx, []*clavis.Job{again}); clavis.ErrorCode(err) != clavis.EConflict || !strings.Contains(err.Error(), early.ID) {
		t.Fatalf("EnqueueJobs of a taken id: %v, want EConflict naming %s", err, early.ID)
	}

	claim := func(owner string, at time.Time, kinds ...string) []*clavis.Job {
		t.Helper()
		js, err := s.Jobs().ClaimJobs(ctx, clavis.JobClaim{Owner: owner, Kinds: kinds, Limit: 10, Now: at, LeaseUntil: at.Add(time.Minute)})
		ok(t, err)
		return js
	}
	// Only due jobs of the kinds asked for.
	got := claim("w1", t0, "fetch")
	if len(got) != 1 || got[0].ID != early.ID || got[0].Attempts != 1 || got[0].State != clavis.JobRunning ||
		got[0].LeaseOwner != "w1" || got[0].App == nil || *got[0].App != ref || got[0].InputID != "a" || got[0].Payload != "p" {
		t.Fatalf("claimed %+v", got)
	}
	if again := claim("w2", t0, "fetch"); len(again) != 0 {
		t.Fatalf("a leased job was claimed again: %v", again)
	}
	// A worker that does not hold a job cannot report on it.
	mustCode(t, s.Jobs().CompleteJob(ctx, early.ID, "w2"), clavis.ENotFound)
	ok(t, s.Jobs().RetryJob(ctx, early.ID, "w1", "flaky", t0, t0.Add(time.Second)))
	if got := claim("w2", t0, "fetch"); len(got) != 0 {
		t.Fatal("a retried job ran before its time")
	}
	got = claim("w2", t0.Add(time.Second), "fetch")
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "flaky" {
		t.Fatalf("retried job = %+v", got)
	}
	// Released, a job runs at once and its attempt does not count.
	ok(t, s.Jobs().ReleaseJob(ctx, early.ID, "w2", t0.Add(time.Second)))
	got = claim("w3", t0.Add(time.Second), "fetch")
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("released job = %+v", got)
	}
	// A lease that ends lets another worker take the job; renewing keeps it.
	ok(t, s.Jobs().RenewJobLeases(ctx, "w3", t0.Add(2*time.Hour)))
	if got := claim("w4", t0.Add(90*time.Minute), "fetch"); len(got) != 1 || got[0].ID != late.ID {
		t.Fatalf("at 90 min, claimed %v, want only the late job", got)
	}
	ok(t, s.Jobs().CompleteJob(ctx, late.ID, "w4"))
	got = claim("w4", t0.Add(3*time.Hour), "fetch")
	if len(got) != 1 || got[0].ID != early.ID || got[0].Attempts != 3 {
		t.Fatalf("after its lease ended, claimed %+v", got)
	}
	mustCode(t, s.Jobs().CompleteJob(ctx, early.ID, "w3"), clavis.ENotFound)
	ok(t, s.Jobs().FailJob(ctx, early.ID, "w4", "gave up", t0))
	j, err := s.Jobs().GetJob(ctx, early.ID)
	ok(t, err)
	if j.State != clavis.JobFailed || j.LastError != "gave up" {
		t.Fatalf("failed job = %+v", j)
	}
	if got := claim("w5", t0.Add(5*time.Hour), "fetch"); len(got) != 0 {
		t.Fatalf("a failed job was claimed: %v", got)
	}
	_, err = s.Jobs().GetJob(ctx, late.ID)
	mustCode(t, err, clavis.ENotFound)
	list, err := s.Jobs().ListJobs(ctx, clavis.JobFilter{Kind: "embed"}, clavis.Page{})
	ok(t, err)
	if len(list) != 1 || list[0].ID != other.ID {
		t.Fatalf("ListJobs(embed) = %v", list)
	}
	list, _ = s.Jobs().ListJobs(ctx, clavis.JobFilter{State: clavis.JobFailed}, clavis.Page{})
	if len(list) != 1 || list[0].ID != early.ID {
		t.Fatalf("ListJobs(failed) = %v", list)
	}
	// At the start of the one process using a store, every lease is a dead
	// process's: released, the job runs at once.
	again = job("fetch", "", 0)
	ok(t, s.Jobs().EnqueueJobs(ctx, []*clavis.Job{again}))
	if got := claim("dead", t0, "fetch"); len(got) != 1 {
		t.Fatalf("claimed %v", got)
	}
	n, err := s.Jobs().ReleaseLeases(ctx, t0)
	ok(t, err)
	if got := claim("w6", t0, "fetch"); n != 1 || len(got) != 1 || got[0].ID != again.ID || got[0].Attempts != 2 {
		t.Fatalf("released %d; then claimed %+v", n, got)
	}
	ok(t, s.Jobs().CompleteJob(ctx, again.ID, "w6"))
	// Deleting the input deletes its jobs.
	_, err = s.Inputs().DeleteInputs(ctx, ref, []string{"a"}, t0)
	ok(t, err)
	list, _ = s.Jobs().ListJobs(ctx, clavis.JobFilter{}, clavis.Page{})
	if len(list) != 0 {
		t.Fatalf("jobs of a deleted input remain: %d", len(list))
	}
}

// testConcurrentClaims has workers claim one job at a time from many queued
// jobs at once: every job is claimed exactly once.
func testConcurrentClaims(t *testing.T, s clavis.Store) {
	const n, workers = 60, 6
	t0 := now()
	var js []*clavis.Job
	for range n {
		js = append(js, &clavis.Job{Kind: "k", RunAfter: t0, CreatedAt: t0, UpdatedAt: t0})
	}
	ok(t, s.Jobs().EnqueueJobs(ctx, js))
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for {
				got, err := s.Jobs().ClaimJobs(ctx, clavis.JobClaim{Owner: owner, Kinds: []string{"k"}, Limit: 2, Now: t0, LeaseUntil: t0.Add(time.Hour)})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					if prev, dup := seen[j.ID]; dup {
						errs <- fmt.Errorf("job %s claimed by %s and %s", j.ID, prev, owner)
					}
					seen[j.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d of %d jobs claimed", len(seen), n)
	}
}
