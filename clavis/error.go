package clavis

import (
	"errors"
	"fmt"
	"time"
)

// Code is one of the domain error codes. The set is closed: transports map
// each code to their own status exactly once.
type Code string

// Domain error codes.
const (
	EInvalid         Code = "invalid"         // malformed or missing argument
	ENotFound        Code = "not_found"       // missing, or not visible to the caller
	EModelNotFound   Code = "model_not_found" // model or version missing in a visible app
	EConflict        Code = "conflict"        // id already taken
	EUnauthenticated Code = "unauthenticated" // token unknown, mistyped, deleted, expired or for another app
	ENoCredentials   Code = "no_credentials"  // no usable authorization header
	EForbidden       Code = "forbidden"       // credential valid but lacking scopes
	EInputInvalid    Code = "input_invalid"   // an input carries no usable data
	EInputBytes      Code = "input_bytes"     // bytes that are not a decodable image
	EInputURL        Code = "input_url"       // a URL that is malformed or not allowed
	EInputDownload   Code = "input_download"  // a URL that could not be fetched
	EInputTooLarge   Code = "input_too_large" // an input over the size or pixel limits
	EBusy            Code = "busy"            // the server is at capacity; retry later
	ENotImplemented  Code = "not_implemented" // declared but not implemented
	EInternal        Code = "internal"        // anything else; details stay in the log
	EPredictFailed   Code = "predict_failed"  // the model failed on a valid input
	EInputDuplicate  Code = "input_duplicate" // an input id that the app or the request already has
	EUnsupported     Code = "unsupported"     // an input of a kind Clavis does not store (text, video, audio)
	ELimit           Code = "limit"           // over a limit the operator set (inputs or bytes per app)
	EThrottled       Code = "throttled"       // over a rate limit; retry after Error.RetryAfter
	// EModelNotDeployed is the code of a model this server lists but cannot
	// run, such as a built-in model whose files are not installed.
	EModelNotDeployed Code = "model_not_deployed"
	// EBadFormat is the code of a request that cannot be decoded at all.
	EBadFormat Code = "bad_format"
	// EStorage is the code of a write the server's storage refused: it is
	// full or read-only. Reads still work; the cause goes to the log.
	EStorage Code = "storage"
	// EUnavailable is the code of a request refused because a service it
	// depends on, such as the shared rate limit counter, is unreachable
	// (fail closed); the cause goes to the log.
	EUnavailable Code = "unavailable"
)

// Why storage is unavailable, as StorageUnavailable takes it.
const (
	StorageFull     = "full"
	StorageReadOnly = "read-only"
)

// StorageUnavailable returns the EStorage error of a write that storage
// refused for reason, StorageFull or StorageReadOnly; cause is for the log.
func StorageUnavailable(reason string, cause error) *Error {
	msg := "the server's storage is read-only: nothing can be written until its operator makes it writable again; reads still work"
	if reason == StorageFull {
		msg = "the server's storage is full: nothing can be written until its operator frees space; reads still work"
	}
	return &Error{Code: EStorage, Message: msg, Cause: cause}
}

// Error is a domain error. Message is safe to show to the caller; Cause, if
// set, is for the log only.
type Error struct {
	Code    Code
	Message string
	Cause   error
	// RetryAfter, for EThrottled, is how long the caller should wait.
	RetryAfter time.Duration
}

// Error implements the error interface. It never includes Cause's text in a
// form meant for clients; transports use Message.
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Throttled returns an EThrottled error: retry after d.
func Throttled(d time.Duration, format string, args ...any) *Error {
	e := Errorf(EThrottled, format, args...)
	e.RetryAfter = d
	return e
}

// RetryAfter returns how long the caller of a throttled call should wait,
// or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Internal wraps cause as an EInternal error whose message reveals nothing.
func Internal(cause error) *Error {
	return &Error{Code: EInternal, Message: "internal error", Cause: cause}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, "" for nil, and EInternal for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// AppNotFound is the one answer for an app that does not exist and for an
// app the caller may not see, so that no caller learns which is the case.
func AppNotFound(ref AppRef) *Error {
	return Errorf(ENotFound, "app %q of user %q does not exist or is not visible to this credential", ref.AppID, ref.OwnerID)
}

// UserNotFound is the one answer for a missing or invisible user.
func UserNotFound(id string) *Error {
	return Errorf(ENotFound, "user %q does not exist or is not visible to this credential", id)
}

// KeyNotFound is the one answer for a missing or invisible key.
func KeyNotFound() *Error {
	return Errorf(ENotFound, "key does not exist or is not visible to this credential")
}

// CollaboratorNotFound is the one answer for a missing collaborator grant.
func CollaboratorNotFound(userID string) *Error {
	return Errorf(ENotFound, "user %q is not a collaborator of this app", userID)
}

// OrgNotFound is the one answer for a missing or invisible organization.
func OrgNotFound(id string) *Error {
	return Errorf(ENotFound, "organization %q does not exist or is not visible to this credential", id)
}

// MemberNotFound is the answer for a user who is not a member of an org.
func MemberNotFound(orgID, userID string) *Error {
	return Errorf(ENotFound, "user %q is not a member of organization %q", userID, orgID)
}

// TeamNotFound is the answer for a missing team.
func TeamNotFound(orgID, id string) *Error {
	return Errorf(ENotFound, "team %q does not exist in organization %q", id, orgID)
}

// InputNotFound is the one answer for an input that does not exist in the
// app, whatever the reason.
func InputNotFound(id string) *Error {
	return Errorf(ENotFound, "input %q does not exist in this app", id)
}

// AnnotationNotFound is the answer for a missing annotation.
func AnnotationNotFound(id string) *Error {
	return Errorf(ENotFound, "annotation %q does not exist in this app", id)
}

// ConceptNotFound is the answer for a concept the app does not have.
func ConceptNotFound(id string) *Error {
	return Errorf(ENotFound, "concept %q does not exist in this app", id)
}

// AddJobNotFound is the answer for a missing inputs add job.
func AddJobNotFound(id string) *Error {
	return Errorf(ENotFound, "inputs add job %q does not exist in this app", id)
}

// JobNotHeld is the answer of the job store when a worker reports on a job
// it no longer holds: its lease ran out and another worker may have it, or
// its input is gone.
func JobNotHeld(id string) *Error {
	return Errorf(ENotFound, "job %q is not held by this worker", id)
}
