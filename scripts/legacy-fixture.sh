#!/usr/bin/env bash
# Makes the fixtures under testdata/legacy/NAME: what a released clavis
# binary leaves behind, so that tests can check that the current code opens
# and serves it.
#
#   scripts/legacy-fixture.sh CLAVIS_BINARY NAME
#
# CLAVIS_BINARY is the release's binary (build it with `git worktree add`
# and `make build` at the release's commit). The script starts it on a fresh
# SQLite data dir, and then on a fresh PostgreSQL database (CLAVIS_TEST_POSTGRES,
# a postgres:// URL of a role that may create databases), and writes through
# its own CLI: users (one disabled), PATs (one expiring), apps (private and
# public), an app key, a collaborator, an organization with a member, a team
# and an app. It writes:
#
#   testdata/legacy/NAME/sqlite/clavis.db   the SQLite database, vacuumed
#   testdata/legacy/NAME/postgres.sql       pg_dump --inserts of the database
#   testdata/legacy/NAME/tokens.json        the tokens it issued, by name
#
# The tokens are test credentials of these fixtures only.
set -euo pipefail
bin=$(realpath "$1")
name=$2
cd "$(dirname "$0")/.."
out=testdata/legacy/$name
: "${CLAVIS_TEST_POSTGRES:?set CLAVIS_TEST_POSTGRES to a postgres:// URL}"
mkdir -p "$out/sqlite"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# populate DB_FLAGS... writes the data and leaves tokens in $work/tokens.json.
populate() {
  local port; port=$(free_port)
  local dir=$work/data-$RANDOM
  mkdir -p "$dir"
  "$bin" serve --addr 127.0.0.1:"$port" --data-dir "$dir" --models-dir "$work/no-models" "$@" >"$dir/out.log" 2>"$dir/err.log" &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$dir/bootstrap.pat" ] && break; sleep 0.1; done
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  export HOME=$dir/home CLAVIS_ADDR=127.0.0.1:$port
  local admin; admin=$(tr -d '\n' <"$dir/bootstrap.pat")
  c() { CLAVIS_PAT=${as:-$admin} "$bin" "$@"; }
  local bob carol appkey ci
  bob=$(c users create --id bob --email bob@example.com | tail -n1)
  carol=$(c users create --id carol --email carol@example.com | tail -n1)
  c users create --id dave --email dave@example.com >/dev/null
  c users disable dave >/dev/null
  c app create photos --description "admin's photos" >/dev/null
  c app create gallery --description "public gallery" >/dev/null
  c app visibility public gallery >/dev/null
  appkey=$(c key create --app photos --scopes Apps:Get,Models:Get,Predict --description "photos key" | tail -n1)
  ci=$(c pat create --description ci --scopes Apps:Get,Predict,Models:Get --expires 87600h | tail -n1)
  c collab add --app photos --scopes Apps:Get,Models:Get,Concepts:Get,Predict bob >/dev/null
  c org create acme --name "Acme Inc." >/dev/null
  c app create acme/vision --description "acme's vision app" >/dev/null
  c org member add acme carol --role team-contributor >/dev/null
  c org team put acme vision-team --scopes Apps:Get,Models:Get,Predict --members carol --apps vision >/dev/null
  as=$bob c app create bobs-app >/dev/null
  printf '{"admin": "%s", "bob": "%s", "carol": "%s", "photos_key": "%s", "admin_ci": "%s"}\n' \
    "$admin" "$bob" "$carol" "$appkey" "$ci" >"$work/tokens.json"
  kill "$pid"; wait "$pid" || true
  last_dir=$dir
}

populate
cp "$work/tokens.json" "$out/tokens.json"
sqlite3 "$last_dir/clavis.db" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM INTO '$work/clavis.db'"
cp "$work/clavis.db" "$out/sqlite/clavis.db"

db=clavis_fixture_$RANDOM
psql "$CLAVIS_TEST_POSTGRES" -qc "CREATE DATABASE $db"
dsn=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/"+sys.argv[2]).geturl())' "$CLAVIS_TEST_POSTGRES" "$db")
populate --db "$dsn"
# The PostgreSQL fixture carries the tokens of its own run.
cp "$work/tokens.json" "$out/tokens-postgres.json"
pg_dump --inserts --no-owner --no-privileges --no-comments "$dsn" | grep -v '^\\' >"$out/postgres.sql"
psql "$CLAVIS_TEST_POSTGRES" -qc "DROP DATABASE $db WITH (FORCE)"
ls -l "$out" "$out/sqlite"
