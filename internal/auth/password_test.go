package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q does not carry its parameters, or carries the password", h)
	}
	h2, _ := auth.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, c := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}, {strings.Repeat("x", 300), false}} {
		ok, err := auth.VerifyPassword(h, c.pw)
		if err != nil || ok != c.want {
			t.Errorf("VerifyPassword(%.20q) = %v %v, want %v", c.pw, ok, err, c.want)
		}
	}
	if auth.PasswordNeedsRehash(h) {
		t.Error("a hash with the current parameters needs a rehash")
	}
}

// TestPasswordHashOtherParameters: a hash made with other parameters
// still verifies, and asks to be made again.
func TestPasswordHashOtherParameters(t *testing.T) {
	// A hash as an older release with lighter parameters (8 MiB, 3 passes,
	// 2 lanes, 24 bytes) would have written it.
	salt := []byte("somesalt12345678")
	key := argon2.IDKey([]byte("password"), salt, 3, 8*1024, 2, 24)
	old := "$argon2id$v=19$m=8192,t=3,p=2$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	ok, err := auth.VerifyPassword(old, "password")
	if err != nil || !ok {
		t.Fatalf("a hash of other parameters: %v %v", ok, err)
	}
	if !auth.PasswordNeedsRehash(old) {
		t.Error("a hash of other parameters does not ask for a rehash")
	}
}

func TestPasswordHashMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$2y$10$bcrypthashbcrypthashbcrypthashbcrypthashbcrypthash",
		"$argon2id$v=18$m=19456,t=2,p=1$c29tZXNhbHQ$L06QHyWYPbEnTVfqLOQFLA",
		"$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$L06QHyWYPbEnTVfqLOQFLA", // 95 GiB
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$L06QHyWYPbEnTVfqLOQFLA",
	} {
		if _, err := auth.VerifyPassword(h, "password"); clavis.ErrorCode(err) != clavis.EInternal {
			t.Errorf("VerifyPassword(%q) = %v, want an internal error", h, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short": false, "exactly10!": true, "ünïcödé pässwörd": true,
		strings.Repeat("a", auth.MaxPasswordLen): true, strings.Repeat("a", auth.MaxPasswordLen+1): false, "bad \xff bytes here": false,
	} {
		if err := auth.CheckPassword(pw); (err == nil) != ok {
			t.Errorf("CheckPassword(%.20q) = %v, want ok %v", pw, err, ok)
		}
	}
}

func TestSessionIDAndCSRF(t *testing.T) {
	id, digest, err := auth.NewSessionID()
	if err != nil || !auth.ValidSessionID(id) || len(digest) != 32 || string(auth.SessionDigest(id)) != string(digest) {
		t.Fatalf("NewSessionID = %q %x %v", id, digest, err)
	}
	other, _, _ := auth.NewSessionID()
	if id == other {
		t.Fatal("two session ids are equal")
	}
	for _, bad := range []string{"", "short", id + "x", strings.Repeat("!", 43)} {
		if auth.ValidSessionID(bad) {
			t.Errorf("ValidSessionID(%q)", bad)
		}
	}
	tok := auth.CSRFToken(id)
	if strings.Contains(tok, id) || !auth.CheckCSRF(id, tok) {
		t.Fatal("the CSRF token does not check, or shows the session id")
	}
	if auth.CheckCSRF(other, tok) || auth.CheckCSRF(id, "") || auth.CheckCSRF("", auth.CSRFToken("")) {
		t.Fatal("a CSRF token checks against another secret, or none")
	}
	p := auth.SessionPrincipal(&clavis.User{ID: "alice", Admin: true})
	if !p.Session || p.KeyType != clavis.KeyTypePAT || !p.Scopes.IsAll() || p.UserID != "alice" || !p.Admin {
		t.Fatalf("SessionPrincipal = %+v", p)
	}
}
