package service

import (
	"context"
	"errors"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
)

// BaseModelID names the model whose predictions annotate every image
// input: the built-in general-image-recognition of clarifai/main.
const BaseModelID = "general-image-recognition"

// mainApp is the built-in app, which holds the built-in models.
var mainApp = clavis.AppRef{OwnerID: clavis.SystemUserID, AppID: clavis.MainAppID}

// BaseModelConcepts bounds the concepts of an input's model annotation: the
// top ones, as a prediction without max_concepts returns them.
const BaseModelConcepts = 20

// errGone ends the job of an input deleted meanwhile, which has nothing
// left to do.
var errGone = errors.New("the input is gone")

// ProcessInput runs a JobProcessInput job: it fetches a URL input's image
// and stores it, then predicts with the base model (BaseModelID) and stores its concepts as
// the model's annotation, and marks the input done (30000), queueing a
// JobEmbedInput job for its embedding. When the base
// model is not installed the input is done with no model annotation. It is
// safe to run again after a crash: a done input is left alone, and the
// model annotation is replaced.
func (s *Service) ProcessInput(ctx context.Context, j *clavis.Job) error {
	if j.App == nil {
		return nil // the app was deleted
	}
	in, err := s.startInput(ctx, *j.App, j.InputID)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	var data []byte
	if in.Blob == nil {
		data, err = s.fetchInput(ctx, in)
		if errors.Is(err, errGone) || clavis.ErrorCode(err) == clavis.ENotFound {
			return nil // cancelled or deleted meanwhile
		}
		if err != nil {
			return err
		}
	} else if data, err = s.blobs.GetBlob(ctx, *in.Blob); err != nil {
		if clavis.ErrorCode(err) == clavis.ENotFound {
			return clavis.Errorf(clavis.EInputBytes, "the stored image of this input is missing")
		}
		return err
	}
	ann, err := s.predictInput(ctx, in, data)
	if err != nil {
		return err
	}
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		cur, err := tx.Inputs().GetInput(ctx, in.App, in.ID)
		if err != nil {
			return err
		}
		if cur.Status.Done() {
			return nil // cancelled meanwhile
		}
		if ann != nil {
			f := clavis.AnnotationFilter{InputIDs: []string{in.ID}, ModelIDs: []string{ann.Worker.Model.ID}}
			if _, err := tx.Annotations().DeleteAnnotations(ctx, in.App, f); err != nil {
				return err
			}
			if err := tx.Annotations().CreateAnnotations(ctx, in.App, []*clavis.Annotation{ann}); err != nil {
				return err
			}
		}
		now := s.clock()
		in.Status, in.StatusDetails, in.UpdatedAt = clavis.InputSuccess, "", now
		if err := tx.Inputs().UpdateInput(ctx, in); err != nil {
			return err
		}
		// The embedding follows in a job of its own, so that a failure to
		// embed never fails the input.
		return tx.Jobs().EnqueueJobs(ctx, []*clavis.Job{{Kind: JobEmbedInput, App: &in.App, InputID: in.ID, RunAfter: now, CreatedAt: now, UpdatedAt: now}})
	})
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil // deleted meanwhile
	}
	if err == nil {
		s.wake()
	}
	return err
}

// startInput marks an input in progress (30003) unless it is done, and
// returns it; errGone when it is done or deleted.
func (s *Service) startInput(ctx context.Context, app clavis.AppRef, id string) (*clavis.StoredInput, error) {
	var in *clavis.StoredInput
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		var err error
		if in, err = tx.Inputs().GetInput(ctx, app, id); err != nil {
			return err
		}
		if in.Status.Done() {
			return errGone
		}
		in.Status, in.UpdatedAt = clavis.InputInProgress, s.clock()
		return tx.Inputs().UpdateInput(ctx, in)
	})
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil, errGone
	}
	return in, err
}

// fetchInput fetches, checks and stores the image of a URL input, within
// the app's byte limit; errGone when the input was cancelled meanwhile.
func (s *Service) fetchInput(ctx context.Context, in *clavis.StoredInput) ([]byte, error) {
	if s.fetcher == nil {
		return nil, clavis.Errorf(clavis.EInputURL, "image URLs are not enabled on this server")
	}
	data, err := s.fetcher.Fetch(ctx, in.URL)
	if err != nil {
		return nil, err
	}
	info, err := inference.CheckImage(data)
	if err != nil {
		return nil, err
	}
	if s.limits.MaxBytes > 0 {
		u, err := s.store.Inputs().Usage(ctx, in.App)
		if err != nil {
			return nil, err
		}
		if u.Bytes+int64(len(data)) > s.limits.MaxBytes {
			return nil, clavis.Errorf(clavis.ELimit, "the image is %d bytes and the app stores %d; the limit the operator set is %d", len(data), u.Bytes, s.limits.MaxBytes)
		}
	}
	keys, err := s.storeBlobs(ctx, in.App, [][]byte{data})
	if err != nil {
		return nil, err
	}
	var stored *clavis.StoredInput
	err = s.store.WithTx(ctx, func(tx clavis.Tx) error {
		cur, err := tx.Inputs().GetInput(ctx, in.App, in.ID)
		if err != nil {
			return err
		}
		if cur.Status.Done() {
			return errGone
		}
		cur.Blob, cur.Size, cur.Image, cur.UpdatedAt = &keys[0], int64(len(data)), info, s.clock()
		stored = cur
		return tx.Inputs().UpdateInput(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	*in = *stored
	return data, nil
}

// predictInput returns the base model's annotation of an input, or nil when
// the model is not installed.
func (s *Service) predictInput(ctx context.Context, in *clavis.StoredInput, data []byte) (*clavis.Annotation, error) {
	r, err := s.installed(ctx, BaseModelID)
	if err != nil || r == nil {
		return nil, err
	}
	results, err := s.engine.Predict(ctx, r, []clavis.Input{{ID: in.ID, ImageBytes: data}}, clavis.OutputConfig{MaxConcepts: BaseModelConcepts})
	if err != nil {
		return nil, err
	}
	if err := results[0].Err; err != nil {
		return nil, err
	}
	now := s.clock()
	v := r.Model.Versions[0]
	return &clavis.Annotation{App: in.App, ID: newInputID(), InputID: in.ID, InputLevel: true, Concepts: results[0].Prediction.Concepts,
		Worker:    clavis.Worker{Model: &clavis.ModelRef{App: mainApp, ID: r.Model.ID, VersionID: v.ID}},
		CreatedAt: now, UpdatedAt: now}, nil
}

// PermanentInputError reports whether an error of ProcessInput is final: the
// input itself is bad (its bytes, size, URL) or over a limit. Failed
// downloads, a busy server and internal failures are retried.
func PermanentInputError(err error) bool {
	switch clavis.ErrorCode(err) {
	case clavis.EInputBytes, clavis.EInputTooLarge, clavis.EInputURL, clavis.EInputInvalid, clavis.EInvalid, clavis.ELimit, clavis.EUnsupported:
		return true
	}
	return false
}

// FailInput marks the input of a JobProcessInput job that failed for good
// failed (30002), its details saying why.
func (s *Service) FailInput(ctx context.Context, j *clavis.Job, cause error) error {
	if j.App == nil {
		return nil
	}
	err := s.store.WithTx(ctx, func(tx clavis.Tx) error {
		in, err := tx.Inputs().GetInput(ctx, *j.App, j.InputID)
		if err != nil || in.Status.Done() {
			return err
		}
		in.Status, in.StatusDetails, in.UpdatedAt = clavis.InputFailed, clavis.ErrorMessage(cause), s.clock()
		return tx.Inputs().UpdateInput(ctx, in)
	})
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil
	}
	return err
}
