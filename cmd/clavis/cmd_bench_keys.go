package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/clavis-dev/clavis/clavis"
	"github.com/clavis-dev/clavis/internal/auth"
	"github.com/clavis-dev/clavis/internal/store/postgres"
	"github.com/clavis-dev/clavis/internal/store/sqlite"
)

// The keys rows time a token check that the cache cannot answer, against a
// store of 1k keys and one of --store-keys keys, per engine.

// keyStoreSmall is the size of the baseline's store.
const keyStoreSmall = 1000

// keySamples is how many real tokens each store holds among its keys: the
// checks cycle through them, so that they read rows all over the index.
const keySamples = 200

// keyFillBatch is how many keys one transaction of the fill stores.
const keyFillBatch = 20_000

// keyStore is a store filled with keys, and the tokens of some of them.
type keyStore struct {
	db     clavis.Store
	tokens []string
	close  func()
}

// fillKeys stores n PATs of one user in db, keySamples of them of real
// tokens (spread over the fill) and the others of random digests, in
// transactions of keyFillBatch keys.
func fillKeys(ctx context.Context, db clavis.Store, hasher auth.Hasher, n int) ([]string, error) {
	now := time.Now().UTC()
	u := &clavis.User{ID: "bench", Email: "bench@example.invalid", CreatedAt: now, UpdatedAt: now}
	if err := db.Users().CreateUser(ctx, u); err != nil {
		return nil, err
	}
	every := max(n/keySamples, 1)
	var tokens []string
	// A short scope list keeps the rows small, so that the fill is quick.
	scopes := clavis.MustScopes("Predict")
	for done := 0; done < n; {
		batch := make([]*clavis.Key, min(keyFillBatch, n-done))
		for i := range batch {
			id, err := auth.NewKeyID()
			if err != nil {
				return nil, err
			}
			k := &clavis.Key{ID: id, UserID: u.ID, Type: clavis.KeyTypePAT, Description: "bench", Scopes: scopes, CreatedAt: now}
			if (done+i)%every == 0 && len(tokens) < keySamples {
				tok, err := auth.NewToken(clavis.KeyTypePAT)
				if err != nil {
					return nil, err
				}
				k.Digest, k.Hint = hasher.Digest(tok), auth.Hint(tok)
				tokens = append(tokens, tok)
			} else {
				k.Digest = make([]byte, 32)
				rand.Read(k.Digest)
			}
			batch[i] = k
		}
		if err := db.Keys().CreateKeys(ctx, batch); err != nil {
			return nil, err
		}
		done += len(batch)
	}
	return tokens, nil
}

// openKeyStore opens a new store of engine ("sqlite", or "postgres" on the
// server pgURL) and fills it with n keys.
func openKeyStore(ctx context.Context, engine, pgURL string, hasher auth.Hasher, n int) (*keyStore, error) {
	var db clavis.Store
	var closeFn func()
	switch engine {
	case "sqlite":
		dir, err := os.MkdirTemp("", "clavis-bench-keys-")
		if err != nil {
			return nil, err
		}
		d, err := sqlite.Open(ctx, filepath.Join(dir, "clavis.db"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		db, closeFn = d, func() { d.Close(); os.RemoveAll(dir) }
	default:
		dsn, drop, err := newPostgresDatabase(ctx, pgURL)
		if err != nil {
			return nil, err
		}
		d, err := postgres.Open(ctx, dsn)
		if err != nil {
			drop()
			return nil, err
		}
		db, closeFn = d, func() { d.Close(); drop() }
	}
	tokens, err := fillKeys(ctx, db, hasher, n)
	if err != nil {
		closeFn()
		return nil, err
	}
	return &keyStore{db: db, tokens: tokens, close: closeFn}, nil
}

// newPostgresDatabase creates an empty database clavis_bench_<random> on
// the server of serverURL and returns its URL and its removal.
func newPostgresDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil || !postgres.IsDSN(serverURL) {
		return "", nil, usagef("--postgres: want a postgres:// URL")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "clavis_bench_" + hex.EncodeToString(b)
	server, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		server.Close()
		return "", nil, fmt.Errorf("--postgres: create database: %w", err)
	}
	drop := func() {
		server.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		server.Close()
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// keyRows measures, per engine, a token check that reaches the store
// (the cache holds nothing fresh) with --store-keys keys stored, against
// the same with 1k.
func (h *harness) keyRows(ctx context.Context) error {
	engines := []string{"sqlite"}
	if h.o.postgres != "" {
		engines = append(engines, "postgres")
	}
	hasher := auth.NewHasher([]byte("bench"))
	for _, engine := range engines {
		fmt.Fprintf(h.log, "bench: %s stores of %d and %d keys\n", engine, keyStoreSmall, h.o.storeKeys)
		t := time.Now()
		small, err := openKeyStore(ctx, engine, h.o.postgres, hasher, keyStoreSmall)
		if err != nil {
			return fmt.Errorf("%s store of %d keys: %w", engine, keyStoreSmall, err)
		}
		defer small.close()
		big, err := openKeyStore(ctx, engine, h.o.postgres, hasher, h.o.storeKeys)
		if err != nil {
			return fmt.Errorf("%s store of %d keys: %w", engine, h.o.storeKeys, err)
		}
		defer big.close()
		fill := time.Since(t)
		r := h.pair(fmt.Sprintf("verify PAT, cache miss, %d keys stored, %s", h.o.storeKeys, engine), "ns/op",
			fmt.Sprintf("%d keys stored", keyStoreSmall), h.missChecks(ctx, big, hasher), h.missChecks(ctx, small, hasher)).AtMost(1.2)
		r.Note = fmt.Sprintf("%d checks per round over %d issued tokens, each read from the store; filled in %.1f s", h.o.checks, keySamples, fill.Seconds())
		h.add(r)
		if h.err != nil {
			return h.err
		}
	}
	return nil
}

// missChecks returns a measurement of --checks token checks against ks by
// an authenticator whose cache never holds a fresh entry (a TTL of 1 ns),
// so that each check reads the key and its user from the store: ns per
// check.
func (h *harness) missChecks(ctx context.Context, ks *keyStore, hasher auth.Hasher) func() (float64, error) {
	a := auth.NewAuthenticator(ks.db, auth.AuthnConfig{Hasher: hasher, CacheTTL: time.Nanosecond})
	next := 0
	return func() (float64, error) {
		start := time.Now()
		for range h.o.checks {
			tok := ks.tokens[next%len(ks.tokens)]
			next++
			if _, err := a.Verify(ctx, tok); err != nil {
				return 0, fmt.Errorf("verify an issued token: %w", err)
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(h.o.checks), nil
	}
}
