#!/usr/bin/env bash
# `npm run test:executors`: the executor tests against the real Claude Code (through the Agent SDK) and
# Codex CLIs. The CLIs are hundreds of MB each, so they are not dependencies of the package: they are
# installed once, at pinned versions, into a cache folder outside the clone and reused afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

CLAUDE_SDK_VERSION=0.3.331
CODEX_VERSION=0.169.0
PINS="@anthropic-ai/claude-agent-sdk@${CLAUDE_SDK_VERSION} @openai/codex@${CODEX_VERSION}"
HASH=$(printf '%s' "$PINS" | sha256sum | cut -c1-12)
CACHE="${NIGHTSHIFT_EXECUTORS_CACHE:-$HOME/.cache/nightshift-executors}/$HASH"

if [ ! -f "$CACHE/.complete" ]; then
  echo "installing $PINS into $CACHE"
  start=$(date +%s)
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  printf '{"name":"nightshift-executors-cache","private":true}\n' >"$CACHE/package.json"
  # --foreground-scripts off, --ignore-scripts off: claude's and codex's postinstall steps link their
  # native binaries. The marker is written last, so a broken install is redone next time.
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save --save-exact $PINS
  touch "$CACHE/.complete"
  echo "installed in $(($(date +%s) - start)) s"
else
  echo "using cached CLIs in $CACHE"
fi

export NIGHTSHIFT_CLAUDE_SDK="$CACHE/node_modules/@anthropic-ai/claude-agent-sdk"
export NIGHTSHIFT_CODEX_PATH="$CACHE/node_modules/@openai/codex/bin/codex.js"
"$NIGHTSHIFT_CODEX_PATH" --version

npm run build
node --enable-source-maps --test --test-concurrency=1 $(find dist/test-executors -name '*.test.js' | sort)
