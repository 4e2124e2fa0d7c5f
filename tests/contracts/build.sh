#!/usr/bin/env bash
# Rebuild tests/contracts/artifacts.json from the .sol files, and safe-artifacts.json from
# the Safe contracts' npm package (needs node and npm only):
#   bash tests/contracts/build.sh
# solc-js is installed into a throwaway folder; the Safe package into
# tests/contracts/node_modules (git-ignored), with OpenZeppelin's contracts, so nothing
# else lands in the repository.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOLC_VERSION="${SOLC_VERSION:-0.8.37}"
SAFE_VERSION="${SAFE_VERSION:-1.4.1}"
OZ_VERSION="${OZ_VERSION:-5.7.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "solc@${SOLC_VERSION}")
# MerkleDistributor.sol imports OpenZeppelin's MerkleProof from the npm package.
npm install --silent --no-audit --no-fund --no-save --prefix "$here" \
  "@openzeppelin/contracts@${OZ_VERSION}"
NODE_PATH="$work/node_modules" node "$here/build.js"
npm install --silent --no-audit --no-fund --no-save --prefix "$here" \
  "@safe-global/safe-contracts@${SAFE_VERSION}"
node "$here/safe.js"
