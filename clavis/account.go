package clavis

import "time"

// Password is a user's portal password, kept apart from User so that the
// hash travels only where passwords are checked.
type Password struct {
	UserID string
	// Hash is the encoded hash with its algorithm and parameters (see
	// internal/auth), never the password.
	Hash string
	// MustChange is set when an admin chose the password: the user must
	// pick a new one at their next log-in.
	MustChange bool
	UpdatedAt  time.Time
}

// Session is a signed-in browser of the portal. The session id itself is
// never stored: only its digest.
type Session struct {
	Digest []byte // SHA-256 of the session id the cookie carries
	UserID string
	// MustChangePassword keeps the session on the change-password page
	// until the user picks a new password.
	MustChangePassword bool
	CreatedAt          time.Time
	LastSeenAt         time.Time
	ExpiresAt          time.Time // absolute end, whatever the activity
}
