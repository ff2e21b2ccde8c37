package service

import (
	"context"
	"errors"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/inference"
	"github.com/clavis-dev/clavis/internal/inference/manifest"
	"github.com/clavis-dev/clavis/internal/vector"
)

// JobEmbedInput is the kind of the job that stores the embedding of a
// stored image input: queued when processing the input succeeds, and at
// start for stored inputs without one (QueueMissingEmbeddings).
const JobEmbedInput = "embed"

// EmbedderID names the model whose embeddings visual searches compare:
// general-image-embedding of clarifai/main. EmbedderVersion is the version
// that every stored vector of it records; vectors of other versions are
// never compared with its.
var (
	EmbedderID      = manifest.GeneralImageEmbedding.ID
	EmbedderVersion = manifest.GeneralImageEmbedding.Version.ID
)

// VectorFeed is told of every embedding the service stores or deletes,
// after the change is committed: the vector index of this server, or a
// feed that also tells the other replicas'.
type VectorFeed interface {
	Added(ctx context.Context, sp vector.Space, ids ...string) error
	Deleted(sp vector.Space, ids ...string)
}

// vectorSpace is the index's space of an app's embeddings of EmbedderVersion.
func vectorSpace(app clavis.AppRef) vector.Space {
	return vector.Space{App: app, Version: EmbedderVersion}
}

// VectorSource returns the vectors of store as the vector index reads
// them: the spaces of EmbedderVersion only, since searches compare no
// other.
func VectorSource(store clavis.Store) vector.Source { return source{store} }

type source struct{ store clavis.Store }

func (s source) Spaces(ctx context.Context) ([]vector.Space, error) {
	sps, err := s.store.Embeddings().EmbeddingSpaces(ctx, EmbedderVersion)
	if err != nil {
		return nil, err
	}
	out := make([]vector.Space, len(sps))
	for i, sp := range sps {
		out[i] = vector.Space{App: sp.App, Version: sp.Version}
	}
	return out, nil
}

func entries(es []clavis.InputEmbedding) []vector.Entry {
	out := make([]vector.Entry, len(es))
	for i, e := range es {
		out[i] = vector.Entry{ID: e.InputID, Vector: e.Vector}
	}
	return out
}

func (s source) Vectors(ctx context.Context, sp vector.Space, after string, limit int) ([]vector.Entry, error) {
	es, err := s.store.Embeddings().ListEmbeddings(ctx, clavis.EmbeddingSpace{App: sp.App, Version: sp.Version}, after, limit)
	return entries(es), err
}

func (s source) Get(ctx context.Context, sp vector.Space, ids []string) ([]vector.Entry, error) {
	es, err := s.store.Embeddings().GetEmbeddings(ctx, clavis.EmbeddingSpace{App: sp.App, Version: sp.Version}, ids)
	return entries(es), err
}

// embedder returns the embedding model, or nil when it is not installed;
// while the server loads it, it waits (see installed).
func (s *Service) embedder(ctx context.Context) (*inference.Registered, error) {
	return s.installed(ctx, EmbedderID)
}

// installed returns the built-in model id, or nil when it is not installed
// (or failed to load). Background work calls it: while the server loads
// the model, just after its start, it waits for the load until ctx ends.
func (s *Service) installed(ctx context.Context, id string) (*inference.Registered, error) {
	r, err := s.engine.Model(mainApp, id)
	if clavis.ErrorCode(err) == clavis.EModelNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r, err = s.engine.Loaded(ctx, r); err != nil {
		return nil, err
	}
	if r.Runner == nil {
		return nil, nil
	}
	return r, nil
}

// EmbedInput runs a JobEmbedInput job: it embeds the input's stored image
// with the embedding model and stores the vector, then tells the vector
// feed. An input deleted meanwhile, or without a stored image, has nothing
// to embed; without the model installed the job does nothing (the inputs
// are embedded by the backfill at a later start with the model).
func (s *Service) EmbedInput(ctx context.Context, j *clavis.Job) error {
	if j.App == nil {
		return nil
	}
	r, err := s.embedder(ctx)
	if err != nil || r == nil {
		return err
	}
	in, err := s.store.Inputs().GetInput(ctx, *j.App, j.InputID)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Blob == nil {
		return nil
	}
	data, err := s.blobs.GetBlob(ctx, *in.Blob)
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	results, err := s.engine.Predict(ctx, r, []clavis.Input{{ID: in.ID, ImageBytes: data}}, clavis.OutputConfig{})
	if err != nil {
		return err
	}
	if err := results[0].Err; err != nil {
		return err
	}
	es := results[0].Prediction.Embeddings
	if len(es) == 0 || len(es[0].Vector) == 0 {
		return errors.New("the embedding model returned no vector")
	}
	version := r.Model.Versions[0].ID
	err = s.store.Embeddings().PutEmbedding(ctx, in.App, version, in.ID, es[0].Vector, s.clock())
	if clavis.ErrorCode(err) == clavis.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return s.vectors.Added(ctx, vector.Space{App: in.App, Version: version}, in.ID)
}

// QueueMissingEmbeddings queues a JobEmbedInput job for every stored input
// of every app that has no embedding of EmbedderVersion (inputs stored
// before embeddings were, or by a server without the model), and returns
// how many. Without the embedding model installed it queues none.
func (s *Service) QueueMissingEmbeddings(ctx context.Context) (int, error) {
	// Not waiting for a model still loading (this runs at start): its
	// jobs wait for it, and do nothing if it fails to load.
	r, err := s.engine.Model(mainApp, EmbedderID)
	if clavis.ErrorCode(err) == clavis.EModelNotFound || err == nil && r.Runner == nil && !r.Loading() {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := s.store.Embeddings().QueueMissingEmbeddings(ctx, JobEmbedInput, EmbedderVersion, s.clock())
	if n > 0 {
		s.wake()
	}
	return n, err
}

// PermanentEmbedError reports whether an error of EmbedInput is final: the
// stored image cannot be read as one.
func PermanentEmbedError(err error) bool {
	switch clavis.ErrorCode(err) {
	case clavis.EInputBytes, clavis.EInputTooLarge, clavis.EInvalid, clavis.EUnsupported:
		return true
	}
	return false
}
