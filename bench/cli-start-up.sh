#!/usr/bin/env bash
# CLI start-up: wall and CPU seconds of a few commands, 7 runs each, median; two builds side by side, their
# runs interleaved so both see the same load. Usage: bench/cli-start-up.sh BEFORE_REPO AFTER_REPO
# (each a built checkout: `npx tsc -p tsconfig.json`). Uses a copy of examples/ in a temp dir. validate3
# includes refund-desk, whose TypeScript tool module is compiled (tsx) on every load.
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); runs=${RUNS:-7}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "$after/examples" "$work/examples"
# The example tool module imports `nightshift` and `zod`, as in a user's project (test/support/examples.ts).
mkdir "$work/node_modules"
for dep in "$after"/node_modules/*; do ln -s "$dep" "$work/node_modules/"; done
ln -s "$after" "$work/node_modules/nightshift"
cd "$work"
# A store with a run waiting for approval, for inbox and audit (made once, read by both builds).
NIGHTSHIFT_DATA_DIR="$work/store" node "$after/bin/nightshift.js" run examples/roles/refund-desk.yaml \
  --input '{"ticket":"T-1"}' >/dev/null || true
roles=(examples/roles/refund-desk.yaml examples/roles/ops-monitor.yaml examples/roles/dependency-janitor.yaml)
declare -A cmds=(
  [version]="--version"
  [help]="--help"
  [validate]="validate examples/roles/dependency-janitor.yaml"
  [validate3]="validate ${roles[*]}"
  [run]="run examples/roles/dependency-janitor.yaml --json"
  [inbox]="inbox"
  [audit]="audit"
)
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-9s %-22s %-22s\n' command 'before wall/user/sys' 'after wall/user/sys'
for name in version help validate validate3 run inbox audit; do
  : >"$work/before.t"; : >"$work/after.t"
  for i in $(seq "$runs"); do
    for side in before after; do
      repo=${!side}
      # Each run of `run` gets a fresh store (its first open creates and migrates it, as a user's would).
      data="$work/store"; [ "$name" = run ] && data="$work/run-$side-$i"
      NIGHTSHIFT_DATA_DIR="$data" /usr/bin/time -a -o "$work/$side.t" -f '%e %U %S' \
        node "$repo/bin/nightshift.js" ${cmds[$name]} >/dev/null 2>&1 || true
    done
  done
  row=()
  for side in before after; do
    # (time's "Command exited with non-zero status" lines left out)
    row+=("$(for c in 1 2 3; do grep -E '^[0-9.]+ ' "$work/$side.t" | cut -d' ' -f$c | median; done | paste -sd/)")
  done
  printf '%-9s %-22s %-22s\n' "$name" "${row[0]}" "${row[1]}"
done
