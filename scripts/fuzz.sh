#!/usr/bin/env bash
# fuzz.sh FUZZTIME WORKERS PKG:FUNC...: runs each fuzz target for FUZZTIME
# past its committed seed corpus. Go 1.26's fuzz coordinator can report a
# bare "context deadline exceeded" when -fuzztime ends while a worker is
# busy (golang/go#75804, fixed in Go 1.27): no input failed, none is
# written. Such a run, and only such a run, is repeated once; a failing
# input, a panic or any other failure fails at once.
set -uo pipefail
fuzztime=$1 workers=$2; shift 2
GO=${GO:-go}
for t in "$@"; do
  pkg=${t%%:*} fn=${t##*:}
  for try in 1 2; do
    log=$(mktemp)
    "$GO" test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" -parallel "$workers" "$pkg" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then rm -f "$log"; break; fi
    if [ "$try" -eq 1 ] && [ "$(grep -c -- '^--- FAIL' "$log")" -eq 1 ] &&
       [ "$(grep -A1 -- '^--- FAIL' "$log" | tail -n 1)" = "    context deadline exceeded" ] &&
       ! grep -qE 'Failing input written|panic:' "$log"; then
      echo "fuzz.sh: $fn ended with Go's fuzztime race (golang/go#75804), no failing input; running it once more"
      rm -f "$log"; continue
    fi
    rm -f "$log"; exit 1
  done
done
