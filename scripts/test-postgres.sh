#!/usr/bin/env bash
# Runs the PostgreSQL tests: the store conformance suite, the server on
# PostgreSQL, replicas, durability (both engines) and migrate.
#
# Uses the server named by $CLAVIS_TEST_POSTGRES (a postgres:// URL of a role
# that may create databases) when set; otherwise starts a throwaway cluster
# (Debian's initdb in a temp dir, trust auth, a spare port), installing
# Debian's postgresql package when missing, and removes it on exit.
# CLAVIS_REQUIRE_POSTGRES=1 makes a skipped PostgreSQL test a failure.
#
# Redis, for the rate limit tests, likewise: the server in $CLAVIS_TEST_REDIS
# (a redis:// URL) when set, else the one on 127.0.0.1:6379 when it answers,
# else a throwaway redis-server on a spare port; CLAVIS_REQUIRE_REDIS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

run() { echo "+ $*" >&2; "$@"; }

find_bin() { ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n1; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found" >&2; return 1
}

start_cluster() {
  local initdb pg_ctl
  initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
  if [[ -z "$initdb" || -z "$pg_ctl" ]]; then
    echo "PostgreSQL server binaries not found: installing Debian's postgresql" >&2
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    run $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive run $sudo apt-get install -y -qq postgresql >/dev/null
    initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
    [[ -n "$initdb" && -n "$pg_ctl" ]] || { echo "initdb/pg_ctl still missing" >&2; exit 1; }
  fi
  PG_TMP=$(mktemp -d /tmp/clavis-pg.XXXXXX)
  chmod 755 "$PG_TMP"
  # initdb refuses to run as root: run the cluster as user postgres then.
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 || run useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    chown postgres: "$PG_TMP"
    as=(runuser -u postgres --)
  fi
  PG_CTL=("${as[@]}" "$pg_ctl")
  run "${as[@]}" "$initdb" -A trust -U postgres -D "$PG_TMP/data" >"$PG_TMP/initdb.log" ||
    { cat "$PG_TMP/initdb.log" >&2; exit 1; }
  local port started=""
  for _ in 1 2 3; do
    port=$(free_port)
    if run "${PG_CTL[@]}" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
         -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null; then
      started=1; break
    fi
  done
  [[ -n "$started" ]] || { cat "$PG_TMP/server.log" >&2; exit 1; }
  export CLAVIS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  echo "started a throwaway PostgreSQL cluster in $PG_TMP on port $port" >&2
}

start_redis() {
  if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    export CLAVIS_TEST_REDIS="redis://127.0.0.1:6379/0"
    return
  fi
  command -v redis-server >/dev/null || { echo "redis-server not found: run scripts/deps.sh --test" >&2; exit 1; }
  local port; port=$(free_port)
  REDIS_TMP=$(mktemp -d /tmp/clavis-redis.XXXXXX)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_TMP" >"$REDIS_TMP/server.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export CLAVIS_TEST_REDIS="redis://127.0.0.1:$port/0"
  echo "started a throwaway Redis on port $port" >&2
}

stop_redis() {
  if [[ -n "${REDIS_PID:-}" ]]; then
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$REDIS_TMP"
  fi
}

stop_cluster() {
  if [[ -n "${PG_TMP:-}" ]]; then
    "${PG_CTL[@]}" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}

if [[ -n "${CLAVIS_TEST_POSTGRES:-}" ]]; then
  echo "using the PostgreSQL server in CLAVIS_TEST_POSTGRES" >&2
else
  trap 'stop_redis; stop_cluster' EXIT
  start_cluster
fi
echo "CLAVIS_TEST_POSTGRES=$CLAVIS_TEST_POSTGRES" >&2

log=$(mktemp)
trap 'rm -f "$log"; stop_redis; stop_cluster' EXIT
[[ -n "${CLAVIS_TEST_REDIS:-}" ]] || start_redis
echo "CLAVIS_TEST_REDIS=$CLAVIS_TEST_REDIS" >&2
export CLAVIS_REQUIRE_POSTGRES=1 CLAVIS_REQUIRE_REDIS=1
# Arguments, if any, replace the default packages and filter (make test
# passes ./... to run every test with PostgreSQL available).
tests=("$@")
[[ ${#tests[@]} -gt 0 ]] || tests=(./internal/store/postgres/ ./cmd/clavis/ -run 'Postgres|Replica|Durab|Migrat')
echo "+ CLAVIS_REQUIRE_POSTGRES=1 CLAVIS_REQUIRE_REDIS=1 $GO test -count=1 -p 1 -v ${tests[*]}" >&2
set +e
"$GO" test -count=1 -p 1 -v "${tests[@]}" >"$log" 2>&1
status=$?
set -e
grep -E '^(--- FAIL|--- SKIP|FAIL|ok|panic)|^--- PASS: Test(Postgres|Replica|Durab|Migrat)' "$log" || true
if [[ $status -ne 0 ]]; then
  # The failing tests' own output: what precedes each FAIL line.
  grep -vE '^(=== |\s*--- PASS)' "$log" | grep -B40 -E -- '--- FAIL|^FAIL|panic:' | tail -n 200 >&2
  exit "$status"
fi
# Every suite must have run, not skipped.
for want in TestPostgresConformance TestPostgresLegacyDatabase TestPostgresNoWriteSkew TestPostgresNotifier TestPostgresGrantEvents TestPostgresServer TestReplicas TestReplicaProcesses TestReplicaRateLimit TestDurability TestMigrate TestMigrateForce; do
  grep -q -- "^--- PASS: $want " "$log" || { echo "$want did not run and pass" >&2; exit 1; }
done
if grep -qE -- "^--- SKIP" "$log"; then echo "some tests were skipped" >&2; exit 1; fi
echo "PostgreSQL tests passed" >&2
