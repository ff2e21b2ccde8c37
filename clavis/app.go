package clavis

import "time"

// Visibility says who may see a resource.
type Visibility int

// Visibilities, with Clarifai's numbers.
const (
	VisibilityPrivate Visibility = 10
	VisibilityOrg     Visibility = 30
	VisibilityPublic  Visibility = 50
)

// AppRef names an app by its owner and id.
type AppRef struct {
	OwnerID string
	AppID   string
}

// String returns "owner/app".
func (r AppRef) String() string { return r.OwnerID + "/" + r.AppID }

// App is a container of models, inputs and keys, owned by a user or an
// organization.
type App struct {
	OwnerID         string
	ID              string
	Name            string
	Description     string
	DefaultLanguage string
	Notes           string
	Visibility      Visibility
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Ref returns the app's reference.
func (a *App) Ref() AppRef { return AppRef{OwnerID: a.OwnerID, AppID: a.ID} }
