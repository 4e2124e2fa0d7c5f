#!/usr/bin/env bash
# Rebuild tests/contracts/artifacts.json from the .sol files (needs node and npm only):
#   bash tests/contracts/build.sh
# solc-js is installed into a throwaway folder, so nothing lands in the repository.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOLC_VERSION="${SOLC_VERSION:-0.8.37}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "solc@${SOLC_VERSION}")
NODE_PATH="$work/node_modules" node "$here/build.js"
