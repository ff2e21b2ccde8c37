package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/inference"
)

// InputLimits bounds what one app stores; zero fields mean no bound.
type InputLimits struct {
	MaxInputs int64 // inputs
	MaxBytes  int64 // bytes of distinct images
}

// Fetcher fetches the images of URL inputs in the background.
// *fetch.Fetcher implements it.
type Fetcher interface {
	inference.Fetcher
	// CheckURL applies the rules of a URL's shape, so that a bad URL is
	// refused on arrival rather than later.
	CheckURL(rawURL string) error
}

// JobProcessInput is the kind of the job that stores and annotates a new
// input: it fetches a URL input's image, then predicts with the app's base
// model and stores its concepts as the model's annotation.
const JobProcessInput = "process-input"

// reservedInputIDs are words that REST paths of inputs use after
// .../inputs/: an input of such an id could not be reached there.
var reservedInputIDs = map[string]bool{"status": true, "jobs": true, "annotations": true, "searches": true, "stream": true}

// NewInput is an input to add.
type NewInput struct {
	ID                string // empty: the server picks one
	ImageURL          string
	ImageBytes        []byte
	AllowDuplicateURL bool
	// Other names the kind of data an input carries instead of an image
	// ("text", "video", "audio"), which Clavis does not store.
	Other    string
	Concepts []clavis.Concept
	Metadata map[string]any
}

// InputView is a stored input with its labels: the concepts of its users'
// input-level annotations.
type InputView struct {
	*clavis.StoredInput
	Concepts []clavis.Concept
}

// AddedInput is the outcome of one input of AddInputs: stored (Input), or
// refused (Err, a clear reason).
type AddedInput struct {
	ID    string
	Input *InputView
	Err   error
}

// IDConflict says what AddInputs does with an id the app already has.
type IDConflict int

// ID conflict resolutions, after Clarifai's InputIDConflictResolution.
const (
	// ConflictSkip refuses the input.
	ConflictSkip IDConflict = iota
	// ConflictSuffix stores it under the id with "-1" to "-9" appended, or
	// a random suffix when those are taken too.
	ConflictSuffix
)

// newInputID returns a random input id, as Clarifai's: 32 hex digits.
func newInputID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// arrival is an input on its way in.
type arrival struct {
	index    int
	id       string // as asked for, or picked
	in       *clavis.StoredInput
	labels   []clavis.Concept
	data     []byte // the image, for bytes inputs
	allowDup bool   // may share its URL with another input
	// refused is why the checks before the transaction refused it; err why
	// the transaction did, which it decides afresh each time it runs.
	refused, err error
}

// AddInputs stores up to MaxBatch inputs in the target app and queues their
// processing; they come back pending (30001). Each input is checked on its
// own: one that is malformed, of an unsupported kind (EUnsupported), a
// duplicate (EInputDuplicate), over the app's limits (ELimit) or labelled
// with concepts the caller may not create (EForbidden) is refused alone,
// and counted as failed in the add job jobID, which is created on first use.
func (s *Service) AddInputs(ctx context.Context, acc *auth.Access, jobID string, conflict IDConflict, ins []NewInput) ([]AddedInput, *clavis.InputsAddJob, error) {
	switch {
	case len(ins) == 0:
		return nil, nil, clavis.Errorf(clavis.EInputInvalid, "inputs is empty: give at least one input to add")
	case len(ins) > MaxBatch:
		return nil, nil, clavis.Errorf(clavis.EInvalid, "%d inputs in one request; the limit is %d", len(ins), MaxBatch)
	}
	if jobID != "" {
		if err := clavis.CheckID("inputs_add_job_id", jobID); err != nil {
			return nil, nil, err
		}
	}
	app := acc.App.Ref()
	now := s.clock()
	out := make([]AddedInput, len(ins))
	var arrivals []*arrival
	seen := map[string]bool{}
	for i := range ins {
		a, err := s.arrive(i, &ins[i], acc, seen)
		if err != nil {
			out[i] = AddedInput{ID: a.in.ID, Err: err}
			continue
		}
		a.in.CreatedAt, a.in.UpdatedAt, a.in.AddJobID = now, now, jobID
		arrivals = append(arrivals, a)
	}
	if err := s.precheck(ctx, acc, arrivals); err != nil {
		return nil, nil, err
	}
	var contents [][]byte
	var stored []*arrival
	for _, a := range arrivals {
		if a.refused == nil && a.data != nil {
			contents, stored = append(contents, a.data), append(stored, a)
		}
	}
	keys, err := s.storeBlobs(ctx, app, contents)
	if err != nil {
		return nil, nil, err
	}
	for i, a := range stored {
		a.in.Blob = &keys[i]
	}
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		return s.admit(ctx, tx, acc, jobID, conflict, arrivals, len(ins))
	})
	if err != nil {
		return nil, nil, err
	}
	s.wake()
	for _, a := range arrivals {
		if a.err == nil {
			a.err = a.refused
		}
		out[a.index] = AddedInput{ID: a.in.ID, Err: a.err}
		if a.err == nil {
			out[a.index].Input = &InputView{StoredInput: a.in, Concepts: a.labels}
		}
	}
	var job *clavis.InputsAddJob
	if jobID != "" {
		if job, err = s.store.Inputs().GetAddJob(ctx, app, jobID); err != nil {
			return nil, nil, err
		}
	}
	return out, job, nil
}

// arrive checks one input on arrival: its id, its kind, its image (a URL's
// shape, or the bytes' type, size and pixels), labels and metadata.
func (s *Service) arrive(i int, n *NewInput, acc *auth.Access, seen map[string]bool) (*arrival, error) {
	what := "inputs[" + strconv.Itoa(i) + "]"
	in := &clavis.StoredInput{App: acc.App.Ref(), ID: n.ID, Status: clavis.InputPending, URL: n.ImageURL, UserID: acc.Principal.UserID, Metadata: n.Metadata}
	a := &arrival{index: i, in: in, allowDup: n.AllowDuplicateURL}
	if in.ID == "" {
		in.ID = newInputID()
	}
	a.id = in.ID
	if n.ID != "" {
		if err := clavis.CheckID(what+".id", in.ID); err != nil {
			return a, err
		}
		if reservedInputIDs[in.ID] {
			return a, clavis.Errorf(clavis.EInvalid, "%s.id %q is reserved: REST paths use it after .../inputs/", what, in.ID)
		}
	}
	if seen[in.ID] {
		return a, clavis.Errorf(clavis.EInputDuplicate, "input id %q appears more than once in this request", in.ID)
	}
	seen[in.ID] = true
	switch {
	case n.Other != "":
		return a, clavis.Errorf(clavis.EUnsupported, "%s carries %s: Clavis stores image inputs only", what, n.Other)
	case n.ImageURL != "" && len(n.ImageBytes) > 0:
		return a, clavis.Errorf(clavis.EInputInvalid, "%s has both data.image.url and data.image.base64; send one", what)
	case n.ImageURL != "":
		if s.fetcher == nil {
			return a, clavis.Errorf(clavis.EInputURL, "image URLs are not enabled on this server; send the image as base64 bytes")
		}
		if err := s.fetcher.CheckURL(n.ImageURL); err != nil {
			return a, err
		}
	case len(n.ImageBytes) > 0:
		info, err := inference.CheckImage(n.ImageBytes)
		if err != nil {
			return a, err
		}
		in.Image, in.Size, a.data = info, int64(len(n.ImageBytes)), n.ImageBytes
	default:
		return a, clavis.Errorf(clavis.EInputInvalid, "%s has no image: set data.image.url or data.image.base64", what)
	}
	labels, err := checkConcepts(what+".data", n.Concepts)
	if err != nil {
		return a, err
	}
	a.labels = labels
	if in.Metadata == nil {
		in.Metadata = map[string]any{}
	}
	return a, checkMetadata(what+".data.metadata", in.Metadata)
}

// precheck refuses, before any image is written, the inputs that would
// create concepts the caller may not create and those past the app's byte
// limit. The byte limit counts the images of the inputs that arrive; the
// input limit is applied exactly when they are admitted.
func (s *Service) precheck(ctx context.Context, acc *auth.Access, arrivals []*arrival) error {
	app := acc.App.Ref()
	if !acc.Scopes.Has("Concepts:Add") {
		for _, a := range arrivals {
			if len(a.labels) == 0 {
				continue
			}
			missing, err := s.store.Concepts().MissingConcepts(ctx, app, conceptIDs(a.labels))
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				a.refused = clavis.Errorf(clavis.EForbidden, "concept %q is new to this app: adding it needs the Concepts:Add scope", missing[0])
			}
		}
	}
	if s.limits.MaxBytes <= 0 {
		return nil
	}
	u, err := s.store.Inputs().Usage(ctx, app)
	if err != nil {
		return err
	}
	bytes, counted := u.Bytes, map[string]bool{}
	for _, a := range arrivals {
		if a.refused != nil || a.data == nil {
			continue
		}
		sha := contentDigest(a.data)
		if counted[sha] {
			continue
		}
		if bytes+a.in.Size > s.limits.MaxBytes {
			a.refused = clavis.Errorf(clavis.ELimit, "app %s stores %d bytes of images; this input's %d would pass the limit of %d the operator set",
				app, bytes, a.in.Size, s.limits.MaxBytes)
			continue
		}
		bytes += a.in.Size
		counted[sha] = true
	}
	return nil
}

// admit stores, inside tx, the arrivals that still pass: ids and URLs the
// app has, and the app's input limit, are checked here, where no other
// call can change them. It starts afresh each time it runs.
func (s *Service) admit(ctx context.Context, tx clavis.Tx, acc *auth.Access, jobID string, conflict IDConflict, arrivals []*arrival, total int) error {
	app := acc.App.Ref()
	var ids, urls []string
	for _, a := range arrivals {
		a.in.ID, a.err = a.id, a.refused
		if a.err != nil {
			continue
		}
		ids = append(ids, a.in.ID)
		if a.in.URL != "" {
			urls = append(urls, a.in.URL)
		}
	}
	taken, err := s.existing(ctx, tx, app, clavis.InputFilter{IDs: ids}, func(in *clavis.StoredInput) string { return in.ID })
	if err != nil {
		return err
	}
	known, err := s.existing(ctx, tx, app, clavis.InputFilter{URLs: urls}, func(in *clavis.StoredInput) string { return in.URL })
	if err != nil {
		return err
	}
	u, err := tx.Inputs().Usage(ctx, app)
	if err != nil {
		return err
	}
	var admitted []*clavis.StoredInput
	var labelled []*arrival
	var labels []clavis.Concept
	for _, a := range arrivals {
		if a.err != nil {
			continue
		}
		if taken[a.in.ID] {
			if conflict != ConflictSuffix {
				a.err = clavis.Errorf(clavis.EInputDuplicate, "input id %q already exists in this app", a.in.ID)
				continue
			}
			if a.in.ID, err = s.suffixed(ctx, tx, app, a.in.ID, taken); err != nil {
				return err
			}
		}
		if a.in.URL != "" && known[a.in.URL] && !a.allowDup {
			a.err = clavis.Errorf(clavis.EInputDuplicate, "an input of this app already has this URL; set data.image.allow_duplicate_url to add it again")
			continue
		}
		if s.limits.MaxInputs > 0 && u.Inputs+int64(len(admitted)) >= s.limits.MaxInputs {
			a.err = clavis.Errorf(clavis.ELimit, "app %s holds %d inputs, the limit the operator set", app, s.limits.MaxInputs)
			continue
		}
		taken[a.in.ID], known[a.in.URL] = true, true
		admitted = append(admitted, a.in)
		if len(a.labels) > 0 {
			labelled, labels = append(labelled, a), append(labels, a.labels...)
		}
	}
	if err := s.addConcepts(ctx, tx, acc, labels); err != nil {
		return err
	}
	if err := tx.Inputs().CreateInputs(ctx, app, admitted); err != nil {
		return err
	}
	var anns []*clavis.Annotation
	for _, a := range labelled {
		anns = append(anns, userLabels(a.in, a.labels))
	}
	if err := tx.Annotations().CreateAnnotations(ctx, app, anns); err != nil {
		return err
	}
	jobs := make([]*clavis.Job, len(admitted))
	for i, in := range admitted {
		jobs[i] = &clavis.Job{Kind: JobProcessInput, App: &app, InputID: in.ID, RunAfter: in.CreatedAt, CreatedAt: in.CreatedAt, UpdatedAt: in.CreatedAt}
	}
	if err := tx.Jobs().EnqueueJobs(ctx, jobs); err != nil {
		return err
	}
	if jobID == "" {
		return nil
	}
	return tx.Inputs().PutAddJob(ctx, app, jobID, total-len(admitted), s.clock())
}

// existing returns which values of inputs matching f the app has.
func (s *Service) existing(ctx context.Context, tx clavis.Tx, app clavis.AppRef, f clavis.InputFilter, value func(*clavis.StoredInput) string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(f.IDs) == 0 && len(f.URLs) == 0 {
		return out, nil
	}
	ins, err := tx.Inputs().ListInputs(ctx, app, f, clavis.Page{Size: clavis.MaxPageSize})
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		out[value(in)] = true
	}
	return out, nil
}

// suffixed returns a free id for an input whose id the app has: id-1 to
// id-9, or id with a random suffix.
func (s *Service) suffixed(ctx context.Context, tx clavis.Tx, app clavis.AppRef, id string, taken map[string]bool) (string, error) {
	var cands []string
	for n := 1; n <= 9; n++ {
		cands = append(cands, fmt.Sprintf("%s-%d", id, n))
	}
	have, err := s.existing(ctx, tx, app, clavis.InputFilter{IDs: cands}, func(in *clavis.StoredInput) string { return in.ID })
	if err != nil {
		return "", err
	}
	for _, c := range cands {
		if !have[c] && !taken[c] && clavis.ValidID(c) {
			return c, nil
		}
	}
	return fmt.Sprintf("%.55s-%s", id, newInputID()[:8]), nil
}

// userLabels returns the input-level annotation that holds the labels a
// user gave an input.
func userLabels(in *clavis.StoredInput, labels []clavis.Concept) *clavis.Annotation {
	return &clavis.Annotation{App: in.App, ID: newInputID(), InputID: in.ID, Worker: clavis.Worker{UserID: in.UserID}, InputLevel: true,
		Concepts: labels, CreatedAt: in.CreatedAt, UpdatedAt: in.CreatedAt}
}
