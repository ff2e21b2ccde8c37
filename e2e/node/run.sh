#!/usr/bin/env bash
# Runs the official-client end-to-end suite. Needs CLAVIS_BIN (a built clavis)
# and, for the model tests, CLAVIS_MODELS_DIR.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
exec node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs
