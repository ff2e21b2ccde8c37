package clavis

import (
	"regexp"
	"time"
)

// Reserved ids.
const (
	// UserMe stands for the caller wherever a user id is expected.
	UserMe = "me"
	// SystemUserID owns the built-in public app clarifai/main.
	SystemUserID = "clarifai"
	// MainAppID is the id of the built-in public app.
	MainAppID = "main"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidID reports whether id is a well-formed user, organization, app or
// model id: a letter or digit, then up to 63 letters, digits, '_' or '-'.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// CheckID returns an EInvalid error naming what when id is malformed.
func CheckID(what, id string) error {
	if id == "" {
		return Errorf(EInvalid, "%s is required", what)
	}
	if !ValidID(id) {
		return Errorf(EInvalid, "%s %q is malformed: use 1 to 64 letters, digits, '_' or '-', starting with a letter or digit", what, id)
	}
	return nil
}

// User is a person (or the system account) that owns apps and keys.
type User struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	Admin     bool
	Disabled  bool
	System    bool // the system account owning clarifai/main; cannot log in
	CreatedAt time.Time
	UpdatedAt time.Time
}
