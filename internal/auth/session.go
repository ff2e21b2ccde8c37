package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/clavis-dev/clavis/clavis"
)

// sessionIDBytes is the randomness of a session id: 256 bits.
const sessionIDBytes = 32

// NewSessionID returns a new random session id (43 base64url characters)
// and the digest to store in its place.
func NewSessionID() (id string, digest []byte, err error) {
	var b [sessionIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, clavis.Internal(err)
	}
	id = base64.RawURLEncoding.EncodeToString(b[:])
	return id, SessionDigest(id), nil
}

// SessionDigest returns the SHA-256 of a session id: what the store keeps,
// so that a copy of the database opens no session.
func SessionDigest(id string) []byte {
	d := sha256.Sum256([]byte(id))
	return d[:]
}

// ValidSessionID reports whether s has the form of a session id, so that
// malformed cookies cost no store lookup.
func ValidSessionID(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sessionIDBytes
}

// CSRFToken returns the anti-forgery token of a browser secret (a session
// id, or the pre-session secret of a visitor): an HMAC of a fixed label
// keyed with the secret, so it is tied to that secret, needs no storage,
// and reveals nothing of it.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("clavis portal csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether token is the anti-forgery token of secret,
// comparing in constant time.
func CheckCSRF(secret, token string) bool {
	return secret != "" && subtle.ConstantTimeCompare([]byte(CSRFToken(secret)), []byte(token)) == 1
}

// SessionPrincipal returns the principal a portal session of u acts as:
// its user, as with a Personal Access Token of scope All, marked as a
// session. Every rule applies to it as to such a PAT.
func SessionPrincipal(u *clavis.User) *clavis.Principal {
	return &clavis.Principal{UserID: u.ID, Admin: u.Admin, KeyType: clavis.KeyTypePAT, Scopes: clavis.AllScopes(), Session: true}
}
