#!/usr/bin/env bash
# load-compare.sh ROUNDS SECONDS: `clavis load` (50 clients) against three
# fresh embedded servers in turn, ROUNDS times interleaved: the token
# lifecycle's limits and audit log off (--audit=false, a plain token), on
# (audit, and a token with a rate limit and an address allowlist, counted in
# memory), and on with the counter in Redis (--redis, 127.0.0.1:6379).
# docs/load.md has a run's figures.
set -euo pipefail
R=${1:-3}; D=${2:-60}
BIN=$(mktemp -d)/clavis
cd "$(dirname "$0")/.." && go build -o "$BIN" ./cmd/clavis
run() { # name port extra-serve-flags limits(0/1)
  local name=$1 port=$2 flags=$3 lim=$4 dir; dir=$(mktemp -d)
  $BIN serve --data-dir $dir --addr 127.0.0.1:$port $flags >$dir/log 2>&1 & local pid=$!
  for i in $(seq 100); do [ -s $dir/bootstrap.pat ] && curl -fs http://127.0.0.1:$port/healthz >/dev/null 2>&1 && break; sleep 0.2; done
  local pat; pat=$(cat $dir/bootstrap.pat)
  local tok=$pat
  if [ "$lim" = 1 ]; then
    tok=$(curl -s -H "Authorization: Key $pat" -H 'Content-Type: application/json' http://127.0.0.1:$port/v2/users/me/keys \
      -d '{"keys":[{"type":"personal_access_token","description":"load","scopes":["All"],"rate_limit":1000000,"allowed_cidrs":["127.0.0.0/8","::1/128"]}]}' \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["id"])')
  fi
  echo "### $name (serve $flags; token limits=$lim)"
  local kf=""; [ "$lim" = 1 ] && kf="--key-rate-limit 1000000 --key-allow 127.0.0.0/8,::1/128"
  $BIN load --addr 127.0.0.1:$port --token "$tok" $kf --clients 50 --duration ${D}s --pid $pid 2>&1 | grep -vE "^$" || true
  kill $pid; wait $pid 2>/dev/null || true; rm -rf $dir
}
for r in $(seq $R); do
  run "off r$r" 28601 "--audit=false" 0
  run "on-memory r$r" 28602 "" 1
  run "on-redis r$r" 28603 "--redis redis://127.0.0.1:6379/0" 1
done
