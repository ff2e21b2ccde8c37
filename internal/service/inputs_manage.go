package service

import (
	"context"
	"strconv"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// MaxListIDs bounds the ids one list request may name.
const MaxListIDs = clavis.MaxPageSize

// views returns inputs with their labels: the concepts of their users'
// input-level annotations, the latest of each concept winning.
func (s *Service) views(ctx context.Context, tx clavis.Tx, app clavis.AppRef, ins []*clavis.StoredInput) ([]*InputView, error) {
	out := make([]*InputView, len(ins))
	if len(ins) == 0 {
		return out, nil
	}
	ids := make([]string, len(ins))
	byID := map[string]*InputView{}
	for i, in := range ins {
		ids[i] = in.ID
		out[i] = &InputView{StoredInput: in}
		byID[in.ID] = out[i]
	}
	anns, err := clavis.All(func(p clavis.Page) ([]*clavis.Annotation, error) {
		return tx.Annotations().ListAnnotations(ctx, app, clavis.AnnotationFilter{InputIDs: ids, UsersOnly: true}, p)
	})
	if err != nil {
		return nil, err
	}
	for _, a := range anns {
		if !a.InputLevel {
			continue
		}
		v := byID[a.InputID]
		v.Concepts = patchConcepts(ActionMerge, v.Concepts, a.Concepts)
	}
	return out, nil
}

// ListInputs lists the target app's inputs, newest first: those with the
// given ids (at most MaxListIDs), or status, or all.
func (s *Service) ListInputs(ctx context.Context, acc *auth.Access, ids []string, status clavis.InputStatus, page clavis.Page) ([]*InputView, error) {
	if len(ids) > MaxListIDs {
		return nil, clavis.Errorf(clavis.EInvalid, "%d ids in one request; the limit is %d", len(ids), MaxListIDs)
	}
	if status != 0 && !status.Valid() {
		return nil, clavis.Errorf(clavis.EInvalid, "status.code %d is not an input status: use 30000, 30001, 30002 or 30003", status)
	}
	app := acc.App.Ref()
	ins, err := s.store.Inputs().ListInputs(ctx, app, clavis.InputFilter{IDs: ids, Status: status}, page)
	if err != nil {
		return nil, err
	}
	return s.views(ctx, s.store, app, ins)
}

// GetInput returns an input of the target app, or InputNotFound.
func (s *Service) GetInput(ctx context.Context, acc *auth.Access, id string) (*InputView, error) {
	if id == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "input_id is required")
	}
	app := acc.App.Ref()
	in, err := s.store.Inputs().GetInput(ctx, app, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.views(ctx, s.store, app, []*clavis.StoredInput{in})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// InputPatch is the change PatchInputs makes to one input: its metadata
// and its labels; nil leaves them as they are.
type InputPatch struct {
	ID       string
	Metadata map[string]any
	Concepts []clavis.Concept
	// Image marks a patch that tries to change the image, which is refused.
	Image bool
}

// PatchInputs changes the metadata and labels of up to MaxBatch inputs of
// the target app, all or none: action merge (the default) adds and
// updates, overwrite replaces, remove deletes what the patch names. Labels
// are the caller's own input-level annotation of each input.
func (s *Service) PatchInputs(ctx context.Context, acc *auth.Access, action string, patches []InputPatch) ([]*InputView, error) {
	action, err := checkAction(action)
	if err != nil {
		return nil, err
	}
	switch {
	case len(patches) == 0:
		return nil, clavis.Errorf(clavis.EInputInvalid, "inputs is empty: give at least one input to patch")
	case len(patches) > MaxBatch:
		return nil, clavis.Errorf(clavis.EInvalid, "%d inputs in one request; the limit is %d", len(patches), MaxBatch)
	}
	for i := range patches {
		p := &patches[i]
		what := "inputs[" + strconv.Itoa(i) + "]"
		if err := clavis.CheckID(what+".id", p.ID); err != nil {
			return nil, err
		}
		if p.Image {
			return nil, clavis.Errorf(clavis.EInvalid, "%s: an input's image cannot change; delete the input and add the new image", what)
		}
		if p.Concepts, err = checkConcepts(what+".data", p.Concepts); err != nil {
			return nil, err
		}
	}
	app := acc.App.Ref()
	var out []*clavis.StoredInput
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		out = out[:0]
		now := s.clock()
		for i, p := range patches {
			in, err := tx.Inputs().GetInput(ctx, app, p.ID)
			if err != nil {
				return err
			}
			if p.Metadata != nil {
				in.Metadata = patchMetadata(action, in.Metadata, p.Metadata)
				if err := checkMetadata("inputs["+strconv.Itoa(i)+"].data.metadata", in.Metadata); err != nil {
					return err
				}
				in.UpdatedAt = now
				if err := tx.Inputs().UpdateInput(ctx, in); err != nil {
					return err
				}
			}
			if p.Concepts != nil {
				if err := s.patchLabels(ctx, tx, acc, in, action, p.Concepts, now); err != nil {
					return err
				}
			}
			out = append(out, in)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.views(ctx, s.store, app, out)
}

// patchLabels applies a patch of concepts to the caller's input-level
// annotation of in, creating it if needed.
func (s *Service) patchLabels(ctx context.Context, tx clavis.Tx, acc *auth.Access, in *clavis.StoredInput, action string, cs []clavis.Concept, now time.Time) error {
	if action != ActionRemove {
		if err := s.addConcepts(ctx, tx, acc, cs); err != nil {
			return err
		}
	}
	mine, err := tx.Annotations().ListAnnotations(ctx, in.App, clavis.AnnotationFilter{InputIDs: []string{in.ID}, UserIDs: []string{acc.Principal.UserID}}, clavis.Page{Size: clavis.MaxPageSize})
	if err != nil {
		return err
	}
	for _, a := range mine {
		if a.InputLevel {
			a.Concepts, a.UpdatedAt = patchConcepts(action, a.Concepts, cs), now
			return tx.Annotations().UpdateAnnotation(ctx, a)
		}
	}
	if action == ActionRemove {
		return nil
	}
	labels := &clavis.StoredInput{App: in.App, ID: in.ID, UserID: acc.Principal.UserID, CreatedAt: now}
	return tx.Annotations().CreateAnnotations(ctx, in.App, []*clavis.Annotation{userLabels(labels, cs)})
}

// DeleteInputs deletes up to MaxBatch inputs of the target app with their
// annotations, jobs and images (an image another input of the app shares
// stays). Ids the app does not have are ignored, as for inputs already
// deleted.
func (s *Service) DeleteInputs(ctx context.Context, acc *auth.Access, ids []string) error {
	switch {
	case len(ids) == 0:
		return clavis.Errorf(clavis.EInvalid, "ids is empty: give the ids of the inputs to delete")
	case len(ids) > MaxBatch:
		return clavis.Errorf(clavis.EInvalid, "%d ids in one request; the limit is %d", len(ids), MaxBatch)
	}
	freed, err := s.store.Inputs().DeleteInputs(ctx, acc.App.Ref(), ids, s.clock())
	if err != nil {
		return err
	}
	// Their embeddings went with them.
	s.vectors.Deleted(vectorSpace(acc.App.Ref()), ids...)
	// The inputs are gone; content a failure leaves behind has no
	// reference and goes in the next sweep.
	return s.dropBlobs(ctx, freed)
}

// DeleteInput deletes one input of the target app, or returns
// InputNotFound.
func (s *Service) DeleteInput(ctx context.Context, acc *auth.Access, id string) error {
	if _, err := s.GetInput(ctx, acc, id); err != nil {
		return err
	}
	return s.DeleteInputs(ctx, acc, []string{id})
}

// CountInputs counts the target app's inputs by status.
func (s *Service) CountInputs(ctx context.Context, acc *auth.Access) (clavis.InputCounts, error) {
	return s.store.Inputs().CountInputs(ctx, acc.App.Ref())
}

// GetAddJob returns an add job of the target app with its progress.
func (s *Service) GetAddJob(ctx context.Context, acc *auth.Access, id string) (*clavis.InputsAddJob, error) {
	if id == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "id is required: the inputs_add_job_id given to PostInputs")
	}
	return s.store.Inputs().GetAddJob(ctx, acc.App.Ref(), id)
}

// ListAddJobs lists the target app's add jobs, newest first.
func (s *Service) ListAddJobs(ctx context.Context, acc *auth.Access, page clavis.Page) ([]*clavis.InputsAddJob, error) {
	return s.store.Inputs().ListAddJobs(ctx, acc.App.Ref(), page)
}

// CancelAddJob cancels an add job: its inputs still waiting to be
// processed fail.
func (s *Service) CancelAddJob(ctx context.Context, acc *auth.Access, id string) (*clavis.InputsAddJob, error) {
	if id == "" {
		return nil, clavis.Errorf(clavis.EInvalid, "id is required: the inputs_add_job_id given to PostInputs")
	}
	if err := s.store.Inputs().CancelAddJob(ctx, acc.App.Ref(), id, "the inputs add job was cancelled", s.clock()); err != nil {
		return nil, err
	}
	return s.store.Inputs().GetAddJob(ctx, acc.App.Ref(), id)
}

// InputImage returns the stored image of an input of the target app and its
// format, or InputNotFound for an input without one yet.
func (s *Service) InputImage(ctx context.Context, acc *auth.Access, id string) ([]byte, string, error) {
	in, err := s.store.Inputs().GetInput(ctx, acc.App.Ref(), id)
	if err != nil {
		return nil, "", err
	}
	if in.Blob == nil {
		return nil, "", clavis.Errorf(clavis.ENotFound, "input %q has no stored image yet (status %d)", id, in.Status)
	}
	data, err := s.blobs.GetBlob(ctx, *in.Blob)
	if err != nil {
		return nil, "", err
	}
	return data, in.Image.Format, nil
}
