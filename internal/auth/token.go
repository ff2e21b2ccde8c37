package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"math/big"
	"strings"
	"sync"

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
	sum := checksum(p + body)
	return p + body + string(sum[:]), nil
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

func checksum(s string) [sumLen]byte {
	var out [sumLen]byte
	n := crc32IEEE(s)
	for i := sumLen - 1; i >= 0; i-- {
		out[i] = alphabet[n%62]
		n /= 62
	}
	return out
}

// crc32IEEE is crc32.ChecksumIEEE of s, computed over the string itself:
// every token is checked twice on every call, and handing the package a
// slice makes it escape to the heap.
func crc32IEEE(s string) uint32 {
	crc := ^uint32(0)
	for i := range len(s) {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
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
	if sum := checksum(tok[:split]); !hmac.Equal(sum[:], []byte(tok[split:])) {
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
type Hasher struct {
	pepper []byte
	// macs holds *mac keyed with the pepper, for reuse: every call's token
	// is digested, and a new HMAC costs four allocations and the pepper's
	// two padded blocks.
	macs *sync.Pool
}

// mac is an HMAC with a buffer for the bytes of the token it digests.
type mac struct {
	h   hash.Hash
	buf []byte
}

// NewHasher returns a Hasher with the given server-side pepper (may be empty).
func NewHasher(pepper []byte) Hasher {
	h := Hasher{pepper: append([]byte(nil), pepper...)}
	if len(h.pepper) > 0 {
		h.macs = &sync.Pool{New: func() any { return &mac{h: hmac.New(sha256.New, h.pepper)} }}
	}
	return h
}

// Digest returns the digest of tok.
func (h Hasher) Digest(tok string) []byte {
	if len(h.pepper) == 0 {
		d := sha256.Sum256([]byte(tok))
		return d[:]
	}
	m := h.macs.Get().(*mac)
	m.h.Reset()
	m.buf = append(m.buf[:0], tok...)
	m.h.Write(m.buf)
	d := m.h.Sum(make([]byte, 0, sha256.Size))
	// No token stays in the pool's memory, nor a long string's buffer.
	clear(m.buf)
	if cap(m.buf) <= 2*TokenLen {
		h.macs.Put(m)
	}
	return d
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
