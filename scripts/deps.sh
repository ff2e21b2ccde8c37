#!/usr/bin/env bash
# Installs the Debian packages Clavis needs, when missing. Go and Node.js
# come with the machine image; everything else is here.
#
#   scripts/deps.sh          what building and running need (make run)
#   scripts/deps.sh --test   also what the tests need (make test)
set -euo pipefail
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v gcc >/dev/null || need+=(gcc)
command -v node >/dev/null || need+=(nodejs npm)
if [ "${1:-}" = "--test" ]; then
  # prlimit lowers a test server's open-file limit (cmd/clavis/limits_test.go).
  command -v prlimit >/dev/null || need+=(util-linux)
  # The portal's browser tests drive Debian's Chromium (cmd/clavis/browser_test.go).
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # The keys' rate limits are tested on Redis (cmd/clavis/ratelimit_test.go).
  command -v redis-server >/dev/null || need+=(redis-server)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
