#!/usr/bin/env bash
# Bundles Clarifai's gRPC-Web client (clarifai-web-grpc from the npm
# registry) with client.mjs for the browser, with esbuild from the npm
# registry, into dist/client.js, for the gRPC-Web browser test.
#
#   e2e/web/build.sh
#
# Installs the pinned packages with `npm ci` when node_modules is missing or
# older than package.json/package-lock.json; prints the bundle's path.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.clavis-e2e-installed
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error >&2
  echo "$want" > "$stamp"
fi
node_modules/.bin/esbuild client.mjs --bundle --format=iife --platform=browser --log-level=warning --outfile=dist/client.js >&2
echo "$PWD/dist/client.js"
