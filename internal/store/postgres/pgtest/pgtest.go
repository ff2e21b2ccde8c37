// Package pgtest gives tests an empty PostgreSQL database of their own on
// the server that CLAVIS_TEST_POSTGRES names.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables: EnvDSN is a postgres:// URL of a server where tests
// may create and drop databases; with EnvRequire=1 a test that would skip
// for want of EnvDSN fails instead, so CI cannot pass without PostgreSQL.
const (
	EnvDSN     = "CLAVIS_TEST_POSTGRES"
	EnvRequire = "CLAVIS_REQUIRE_POSTGRES"
)

// ServerDSN returns the DSN of the test server, skipping t (or failing it
// when EnvRequire is 1) when EnvDSN is unset.
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: PostgreSQL tests must run", EnvDSN, EnvRequire)
		}
		t.Skipf("%s not set: skipping PostgreSQL test", EnvDSN)
	}
	return dsn
}

// NewDatabase creates a database named clavis_test_<random> on the test
// server, registers its removal with t.Cleanup, and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerDSN(t)
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q", EnvDSN, server)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "clavis_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE ends connections a killed server process may have left.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
