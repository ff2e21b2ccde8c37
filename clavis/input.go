package clavis

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// InputStatus is where a stored input stands in processing, with Clarifai's
// status codes.
type InputStatus int

// Input statuses.
const (
	InputSuccess    InputStatus = 30000 // stored and processed
	InputPending    InputStatus = 30001 // waiting for the background worker
	InputFailed     InputStatus = 30002 // processing failed for good; the details say why
	InputInProgress InputStatus = 30003 // being downloaded or processed
)

// Done reports whether s is final: success or failure.
func (s InputStatus) Done() bool { return s == InputSuccess || s == InputFailed }

// Valid reports whether s is one of the input statuses.
func (s InputStatus) Valid() bool { return s >= InputSuccess && s <= InputInProgress }

// ImageInfo describes a stored image.
type ImageInfo struct {
	Width, Height int
	Format        string // "jpeg", "png", "gif", "webp" or "bmp"
}

// BlobKey names a stored blob: the storage space of the app that holds it
// and the SHA-256 of its content, so that one app stores equal content once.
// A space is an opaque id the store gives an app when it first stores data;
// a deleted app's data keeps its space until it is purged, and an app
// created again with the same id gets a new one.
type BlobKey struct {
	Space  string
	SHA256 string // lower-case hex
}

// BlobRef is a blob an app is about to store: its digest and size.
type BlobRef struct {
	SHA256 string
	Size   int64
}

// StoredInput is an input stored in an app: an image, its metadata, and how
// far its processing has come. Its concepts are the concepts of its
// annotations.
type StoredInput struct {
	App           AppRef
	ID            string
	Status        InputStatus
	StatusDetails string // why it failed, for InputFailed
	URL           string // the URL it was added from, if any
	// Blob is the stored image: set on arrival for bytes, once fetched for
	// a URL. Size and Image describe it.
	Blob      *BlobKey
	Size      int64
	Image     ImageInfo
	Metadata  map[string]any // a JSON object; never nil once stored
	AddJobID  string         // the add job the input came in, if any
	UserID    string         // who added it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InputFilter selects inputs in ListInputs. Zero fields select everything.
type InputFilter struct {
	IDs      []string
	URLs     []string // inputs added from one of these URLs
	Status   InputStatus
	AddJobID string
}

// InputCounts counts inputs by status.
type InputCounts struct {
	Success, Pending, Failed, InProgress int
}

// Add adds n inputs of status st to c.
func (c *InputCounts) Add(st InputStatus, n int) {
	switch st {
	case InputSuccess:
		c.Success += n
	case InputPending:
		c.Pending += n
	case InputFailed:
		c.Failed += n
	case InputInProgress:
		c.InProgress += n
	}
}

// Usage is what an app stores: its inputs, and the bytes of its distinct
// blobs.
type Usage struct {
	Inputs int64
	Bytes  int64
}

// InputsAddJob follows the inputs of one or more PostInputs calls that named
// the same add job.
type InputsAddJob struct {
	App     AppRef
	ID      string
	Refused int // inputs refused on arrival, never stored
	// Progress counts the job's stored inputs by status; refused inputs
	// count as failed.
	Progress  InputCounts
	Cancelled bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Purge is what one PurgeDeleted call removed.
type Purge struct {
	// Blobs are the blobs whose references it deleted: their content goes
	// next.
	Blobs []BlobKey
	// Spaces are the spaces it emptied and deleted.
	Spaces []string
	// More reports that deleted apps' data remains.
	More bool
}

// Worker is who made an annotation: a user, or a model.
type Worker struct {
	UserID string
	Model  *ModelRef
}

// ModelRef names a version of a model.
type ModelRef struct {
	App       AppRef
	ID        string
	VersionID string
}

// Annotation labels an input: concepts of the whole input (input level) or
// regions with their concepts, made by a user or predicted by a model.
type Annotation struct {
	App        AppRef
	ID         string
	InputID    string
	Worker     Worker
	InputLevel bool
	Concepts   []Concept
	Regions    []Region
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AnnotationFilter selects annotations. Zero fields select everything; the
// worker fields select the annotations made by any of the users, models or
// model versions they name, and UsersOnly those of every user.
type AnnotationFilter struct {
	IDs             []string
	InputIDs        []string
	UserIDs         []string
	ModelIDs        []string
	ModelVersionIDs []string
	UsersOnly       bool
}

// AppConcept is a concept an app defines: the concepts its inputs are
// labelled with.
type AppConcept struct {
	App       AppRef
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxConceptID bounds the length of a concept id.
const MaxConceptID = 256

// CheckConceptID returns an EInvalid error unless id is a usable concept id:
// 1 to MaxConceptID bytes of UTF-8 with no spaces, control characters or
// slashes (it travels in REST paths).
func CheckConceptID(what, id string) error {
	if id == "" {
		return Errorf(EInvalid, "%s is required", what)
	}
	ok := len(id) <= MaxConceptID && utf8.ValidString(id)
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' {
			ok = false
		}
	}
	if !ok {
		return Errorf(EInvalid, "%s %q is malformed: use 1 to %d characters without spaces, control characters or '/'", what, id, MaxConceptID)
	}
	return nil
}
