package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/clavis-dev/clavis/clavis"
)

// Argon2Params are the parameters of argon2id password hashes. Every hash
// is encoded with its own, so they can change without breaking stored
// hashes: a hash made with other parameters still verifies, and
// PasswordNeedsRehash reports it so that the next log-in re-hashes it.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8
	KeyLen  uint32 // bytes of hash
	SaltLen uint32 // bytes of random salt, new for every hash
}

// DefaultArgon2 are the parameters of new hashes: OWASP's first
// recommendation for argon2id (19 MiB, two passes, one lane), about 30 ms
// of one core, with a 16-byte salt and a 32-byte hash.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Password length limits, in characters. The upper bound keeps hashing
// cost bounded; it is far above any passphrase.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckPassword returns an EInvalid error saying what is wrong with a new
// password: too short, too long, or not valid UTF-8.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return clavis.Errorf(clavis.EInvalid, "the password is not valid text")
	case n < MinPasswordLen:
		return clavis.Errorf(clavis.EInvalid, "the password is too short: use at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return clavis.Errorf(clavis.EInvalid, "the password is too long: use at most %d characters", MaxPasswordLen)
	}
	return nil
}

var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id hash of pw with a new random salt,
// encoded in the PHC string format with its parameters:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(pw string) (string, error) {
	return hashWith(DefaultArgon2, pw)
}

func hashWith(p Argon2Params, pw string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", clavis.Internal(err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// decodeHash parses an encoded hash, refusing parameters outside sane
// bounds so that a corrupt row cannot make one log-in cost gigabytes.
func decodeHash(encoded string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("malformed argon2 parameters %q", parts[3])
	}
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("argon2 parameters out of bounds: %q", parts[3])
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("malformed salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("malformed hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether pw matches the encoded hash, comparing in
// constant time. A hash it cannot read is an EInternal error.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, clavis.Internal(err)
	}
	if utf8.RuneCountInString(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// PasswordNeedsRehash reports whether an encoded hash was made with other
// parameters than DefaultArgon2.
func PasswordNeedsRehash(encoded string) bool {
	p, _, _, err := decodeHash(encoded)
	return err != nil || p != DefaultArgon2
}

// dummyHash is verified against when a log-in names no account, so that
// the answer takes as long as for a wrong password. It is made on first use:
// commands that never check a password do not pay for it.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("clavis: no such account")
	return h
})

// SpendPasswordCheck costs what VerifyPassword costs, and says nothing.
func SpendPasswordCheck(pw string) { VerifyPassword(dummyHash(), pw) } //nolint:errcheck // the result is meant to be dropped
