#!/usr/bin/env bash
# End-to-end suite with Clarifai's official Node client (clarifai-nodejs-grpc
# from the npm registry) against a real `clavis serve`.
#
#   CLAVIS_BIN=/path/to/clavis e2e/node/run.sh [test files...]
#
# CLAVIS_BIN defaults to <repo>/.bin/clavis (make build). Optional:
# CLAVIS_MODELS_DIR (models from `clavis setup`), CLAVIS_E2E_REQUIRE_ALL=1
# (a missing TLS, REST or models feature fails instead of being skipped).
# Installs the pinned packages with `npm ci` when node_modules is missing or
# older than package.json/package-lock.json; exits non-zero on any failure.
set -euo pipefail
# Test files given on the command line are taken relative to the caller.
files=()
for f in "$@"; do files+=("$(realpath "$f")"); done
cd "$(dirname "$0")"

bin="${CLAVIS_BIN:-$(cd ../.. && pwd)/.bin/clavis}"
if [ ! -x "$bin" ]; then
  echo "e2e: no clavis binary at $bin: build it first (make build) or set CLAVIS_BIN" >&2
  exit 1
fi
export CLAVIS_BIN="$bin"

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "e2e: Node.js 20 or newer is needed (found $(node --version))" >&2
  exit 1
fi

stamp=node_modules/.clavis-e2e-installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error
  echo "$want" > "$stamp"
fi

if [ "${#files[@]}" -eq 0 ]; then
  files=(./*.test.mjs)
fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
