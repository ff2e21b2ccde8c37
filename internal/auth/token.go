package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"math/big"
	"strings"

	"github.com/clavis-dev/clavis/clavis"
)

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secretBytes = 32 // 256 random bits
	bodyLen     = 43 // base62 digits of 256 bits
	sumLen      = 6  // base62 digits of a CRC-32
	// TokenLen is the length of every token.
	TokenLen = len(clavis.PATPrefix) + bodyLen + sumLen
)

// NewToken returns a new random token of the given type: its prefix, 256
// random bits in base62, and a base62 CRC-32 of the two.
func NewToken(t clavis.KeyType) (string, error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	body := base62(new(big.Int).SetBytes(b[:]), bodyLen)
	p := prefixOf(t)
	return p + body + checksum(p+body), nil
}

func prefixOf(t clavis.KeyType) string {
	if t == clavis.KeyTypePAT {
		return clavis.PATPrefix
	}
	return clavis.AppKeyPrefix
}

func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = alphabet[mod.Int64()]
	}
	return string(out)
}

// inAlphabet[c] says whether byte c is a digit of the alphabet.
var inAlphabet = func() (t [256]bool) {
	for i := range len(alphabet) {
		t[alphabet[i]] = true
	}
	return t
}()

func checksum(s string) string {
	var out [sumLen]byte
	// A buffer on the stack: every token is checked on every call.
	var buf [TokenLen]byte
	n := crc32.ChecksumIEEE(append(buf[:0], s...))
	for i := sumLen - 1; i >= 0; i-- {
		out[i] = alphabet[n%62]
		n /= 62
	}
	return string(out[:])
}

// ParseToken checks a token's form and checksum without any store lookup and
// returns its type. A mistyped or foreign token is an EUnauthenticated error.
func ParseToken(tok string) (clavis.KeyType, error) {
	var t clavis.KeyType
	switch {
	case strings.HasPrefix(tok, clavis.PATPrefix):
		t = clavis.KeyTypePAT
	case strings.HasPrefix(tok, clavis.AppKeyPrefix):
		t = clavis.KeyTypeApp
	default:
		return "", invalidKey("the token is not a Clavis token")
	}
	if len(tok) != TokenLen {
		return "", invalidKey("the token has the wrong length")
	}
	for i := len(clavis.PATPrefix); i < len(tok); i++ {
		if !inAlphabet[tok[i]] {
			return "", invalidKey("the token has characters that no token has")
		}
	}
	split := len(tok) - sumLen
	if !hmac.Equal([]byte(checksum(tok[:split])), []byte(tok[split:])) {
		return "", invalidKey("the token's checksum does not match: it was mistyped or truncated")
	}
	return t, nil
}

// LooksLikeToken reports whether s has a token's prefix; it is used to keep
// secrets out of logs and to accept a token where a key id is expected.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, clavis.PATPrefix) || strings.HasPrefix(s, clavis.AppKeyPrefix)
}

// Hint returns a short, non-secret reminder of a token for display.
func Hint(tok string) string {
	if len(tok) < TokenLen {
		return ""
	}
	return tok[:len(clavis.PATPrefix)] + "…" + tok[len(tok)-4:]
}

// Hasher turns tokens into the digests that are stored in their place.
// With a pepper it uses HMAC-SHA-256, so a stolen database alone does not
// allow checking guesses. The zero value hashes with plain SHA-256.
type Hasher struct{ pepper []byte }

// NewHasher returns a Hasher with the given server-side pepper (may be empty).
func NewHasher(pepper []byte) Hasher { return Hasher{pepper: append([]byte(nil), pepper...)} }

// Digest returns the digest of tok.
func (h Hasher) Digest(tok string) []byte {
	if len(h.pepper) == 0 {
		d := sha256.Sum256([]byte(tok))
		return d[:]
	}
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(tok))
	return m.Sum(nil)
}

// NewKeyID returns a random public key id: 32 hex digits, like Clarifai's.
func NewKeyID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// NoCredentialsDescription is the description of a request without usable
// credentials; REST answers it with 401.
const NoCredentialsDescription = "Invalid request: missing or malformed authorization"

// InvalidKeyDescription is the description of every refused token, exactly
// as Clarifai words it; official client tests compare it.
const InvalidKeyDescription = "Invalid API key or Invalid API key/application pair"

func invalidKey(detail string) *clavis.Error {
	return &clavis.Error{Code: clavis.EUnauthenticated, Message: detail}
}
