package clavis

import (
	"context"
	"time"
)

// EmbeddingSpace names the embeddings of one app made by one model version:
// the vectors that may be compared with each other.
type EmbeddingSpace struct {
	App     AppRef
	Version string // the id of the model version that made them
}

// InputEmbedding is the vector a model version made of a stored input.
type InputEmbedding struct {
	InputID string
	Vector  []float32
}

// EmbeddingStore stores the embeddings of inputs, one per input and model
// version. An input's embeddings go with the input, and an app's with the
// app. Reads find nothing in an app that does not exist or was deleted.
type EmbeddingStore interface {
	// PutEmbedding stores (or replaces) the embedding of an input made by
	// a model version. It returns InputNotFound for an input the app does
	// not have.
	PutEmbedding(ctx context.Context, app AppRef, version, inputID string, vec []float32, at time.Time) error
	// EmbeddingSpaces lists the spaces of every live app that holds
	// embeddings of a version, or of any version when version is empty.
	EmbeddingSpaces(ctx context.Context, version string) ([]EmbeddingSpace, error)
	// ListEmbeddings returns up to limit embeddings of a space whose input
	// ids sort after after, in input id order.
	ListEmbeddings(ctx context.Context, sp EmbeddingSpace, after string, limit int) ([]InputEmbedding, error)
	// GetEmbeddings returns the embeddings of a space for the given input
	// ids, in any order; ids without one are left out.
	GetEmbeddings(ctx context.Context, sp EmbeddingSpace, ids []string) ([]InputEmbedding, error)
	// QueueMissingEmbeddings queues a job of kind for every input of a
	// live app that is stored (InputSuccess, with its image) and has no
	// embedding of version nor a job of kind, and returns how many it
	// queued. Replicas calling it at once queue each job once.
	QueueMissingEmbeddings(ctx context.Context, kind, version string, at time.Time) (int, error)
}
