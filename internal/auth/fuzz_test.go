package auth_test

import (
	"strings"
	"testing"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
)

// FuzzParseToken checks that the token parser and the authorization
// header parser never panic, that what ParseToken accepts has a token's
// shape, and that a header "Key <token>" gives the token back.
func FuzzParseToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := auth.ParseToken(s)
		if err == nil {
			if len(s) != auth.TokenLen || !auth.LooksLikeToken(s) || (typ != clavis.KeyTypePAT && typ != clavis.KeyTypeApp) {
				t.Fatalf("ParseToken(%q) accepted a %q of the wrong shape", s, typ)
			}
			if got, err := auth.ParseHeader("Key " + s); err != nil || got != s {
				t.Fatalf("ParseHeader(Key %q) = %q, %v", s, got, err)
			}
		} else if c := clavis.ErrorCode(err); c != clavis.EUnauthenticated {
			t.Fatalf("ParseToken(%q): error code %q, want %q", s, c, clavis.EUnauthenticated)
		}
		tok, err := auth.ParseHeader(s)
		switch {
		case err != nil && clavis.ErrorCode(err) != clavis.ENoCredentials:
			t.Fatalf("ParseHeader(%q): error code %q", s, clavis.ErrorCode(err))
		case err == nil && (tok == "" || strings.ContainsAny(tok, " \t") || !strings.Contains(s, tok)):
			t.Fatalf("ParseHeader(%q) = %q", s, tok)
		}
	})
}
