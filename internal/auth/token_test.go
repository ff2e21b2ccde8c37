package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

func TestNewTokenFormat(t *testing.T) {
	seen := map[string]bool{}
	for _, kt := range []clavis.KeyType{clavis.KeyTypePAT, clavis.KeyTypeApp} {
		for range 200 {
			tok, err := auth.NewToken(kt)
			if err != nil {
				t.Fatal(err)
			}
			if len(tok) != auth.TokenLen || strings.ContainsAny(tok, " \t\n") {
				t.Fatalf("token %q: bad length or whitespace", tok)
			}
			if seen[tok] {
				t.Fatalf("token repeated: %q", tok)
			}
			seen[tok] = true
			got, err := auth.ParseToken(tok)
			if err != nil || got != kt {
				t.Fatalf("ParseToken(%q) = %q, %v; want %q", tok, got, err, kt)
			}
		}
	}
	pat, _ := auth.NewToken(clavis.KeyTypePAT)
	app, _ := auth.NewToken(clavis.KeyTypeApp)
	if !strings.HasPrefix(pat, clavis.PATPrefix) || !strings.HasPrefix(app, clavis.AppKeyPrefix) {
		t.Fatalf("prefixes: %q %q", pat, app)
	}
}

// TestParseTokenRefusesTypos checks that every single-character change and
// every truncation of a token is caught by its checksum, with no store.
func TestParseTokenRefusesTypos(t *testing.T) {
	tok, _ := auth.NewToken(clavis.KeyTypePAT)
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := len(clavis.PATPrefix); i < len(tok); i++ {
		for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%62], alphabet[(strings.IndexByte(alphabet, tok[i])+31)%62]} {
			typo := tok[:i] + string(c) + tok[i+1:]
			if _, err := auth.ParseToken(typo); clavis.ErrorCode(err) != clavis.EUnauthenticated {
				t.Fatalf("typo at %d accepted: %v", i, err)
			}
		}
	}
	for _, bad := range []string{"", tok[:len(tok)-1], tok + "x", "Bearer", "clvx_" + tok[5:], strings.ToUpper(tok), tok[:10] + "!" + tok[11:]} {
		if _, err := auth.ParseToken(bad); clavis.ErrorCode(err) != clavis.EUnauthenticated {
			t.Errorf("ParseToken(%q) = %v, want EUnauthenticated", bad, err)
		}
	}
}

func TestHint(t *testing.T) {
	tok, _ := auth.NewToken(clavis.KeyTypeApp)
	h := auth.Hint(tok)
	if !strings.HasPrefix(h, clavis.AppKeyPrefix) || !strings.HasSuffix(h, tok[len(tok)-4:]) || len(h) > 15 {
		t.Fatalf("Hint = %q", h)
	}
}

// A peppered Hasher reuses its HMACs: from many goroutines at once, on
// tokens and on longer strings, every digest is a fresh HMAC's, and a
// token's costs one allocation (the digest returned). A token's check costs
// none.
func TestDigestReused(t *testing.T) {
	pepper := []byte("pepper")
	h := auth.NewHasher(pepper)
	want := func(s string) string {
		m := hmac.New(sha256.New, pepper)
		m.Write([]byte(s))
		return string(m.Sum(nil))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s, _ := auth.NewToken(clavis.KeyTypePAT)
				if i%10 == 0 {
					s = strings.Repeat(s, g+1) // not a token: revocation digests what it is given
				}
				if got := string(h.Digest(s)); got != want(s) {
					errs <- fmt.Sprintf("digest of %d bytes differs from a fresh HMAC's", len(s))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	tok, _ := auth.NewToken(clavis.KeyTypeApp)
	// Not exactly 1: a garbage collection during the runs may empty the pool.
	if n := testing.AllocsPerRun(200, func() { h.Digest(tok) }); n >= 2 {
		t.Errorf("Digest allocates %.1f times a token, want 1", n)
	}
	if n := testing.AllocsPerRun(200, func() { auth.ParseToken(tok) }); n != 0 {
		t.Errorf("ParseToken allocates %.1f times a token, want 0", n)
	}
}

func TestDigestPepper(t *testing.T) {
	tok, _ := auth.NewToken(clavis.KeyTypePAT)
	plain := auth.Hasher{}.Digest(tok)
	peppered := auth.NewHasher([]byte("pepper")).Digest(tok)
	other := auth.NewHasher([]byte("other")).Digest(tok)
	if len(plain) != 32 || string(plain) == string(peppered) || string(peppered) == string(other) {
		t.Fatal("digests must differ by pepper and be 32 bytes")
	}
	if string(auth.NewHasher([]byte("pepper")).Digest(tok)) != string(peppered) {
		t.Fatal("digest not deterministic")
	}
	if strings.Contains(string(plain), tok) {
		t.Fatal("digest contains the token")
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in   string
		want string
		code clavis.Code
	}{
		{"Key abc", "abc", ""},
		{"key abc", "abc", ""},
		{"", "", clavis.ENoCredentials},
		{"Bearer abc", "", clavis.ENoCredentials},
		{"Key", "", clavis.ENoCredentials},
		{"Key a b", "", clavis.ENoCredentials},
		{"abc", "", clavis.ENoCredentials},
	}
	for _, tt := range tests {
		got, err := auth.ParseHeader(tt.in)
		if got != tt.want || clavis.ErrorCode(err) != tt.code {
			t.Errorf("ParseHeader(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.code)
		}
	}
}
