#!/usr/bin/env bash
# Issue 16 goal 5: the Postgres burst with 4 workers, this tree against the issue's baseline (2c1ad54), in
# interleaved pairs (baseline first), one fresh bench process each, a CHECKPOINT before each so that no
# pair carries the previous one's dirty pages. Prints one line per pair: baseline runs/s -> this tree's,
# the ratio, and this tree's worker / Postgres CPU ms per run and the bench's CPU ms per POST.
#
#   bash bench/goal5-pairs.sh [PAIRS=4] [bench flags, e.g. --client http]
#   NODE=/path/to/node bash bench/goal5-pairs.sh 8      # another Node (both trees run on it)
#   bash bench/goal5-pairs.sh 4 --warm-burst 2000       # both trees' workers run a burst first, unmeasured
#
# The baseline tree is built once into $BASE (git archive 2c1ad54, this repository's node_modules linked),
# with this tree's bench/http-post.ts and its two POST sites switched to it, so both trees send the same
# way, and this tree's --warm-burst added. Needs `npm run build` here first, and Postgres as for `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$PWD
PAIRS=${1:-4}
shift || true
NODE=${NODE:-node}
BASE=${BASE:-${TMPDIR:-/tmp}/nightshift-base-2c1ad54}
PG=${NIGHTSHIFT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}

if [ ! -f "$BASE/.complete.3" ]; then
  rm -rf "$BASE" && mkdir -p "$BASE"
  git archive 2c1ad54 | tar -x -C "$BASE"
  cp bench/http-post.ts "$BASE/bench/"
  ln -s "$HERE/node_modules" "$BASE/node_modules"
  node - "$BASE/bench/substrate.ts" <<'EOF'
const fs = require('node:fs');
const file = process.argv[2];
let s = fs.readFileSync(file, 'utf8');
const post = (body) =>
  new RegExp(String.raw`fetch\(\`\$\{urls\[i % urls\.length\]\}/events/go\`, \{\s*method: 'POST',\s*headers,\s*body: ${body},\s*\}\)`);
const sites = [
  [post(String.raw`JSON\.stringify\(\{ sentAt: Date\.now\(\), warmup: i < warm \}\)`), 'JSON.stringify({ sentAt: Date.now(), warmup: i < warm })'],
  [post(String.raw`JSON\.stringify\(\{ sentAt: Date\.now\(\) \}\)`), 'JSON.stringify({ sentAt: Date.now() })'],
];
for (const [re, body] of sites) {
  if (!re.test(s)) throw new Error(`baseline bench: POST site not found (${body})`);
  s = s.replace(re, `client.post(\`\${urls[i % urls.length]}/events/go\`, headers, ${body})`);
}
// --warm-burst N, as in this tree's bench: a burst of N sent and run before the measured one, not measured.
const warmBurst = String.raw`    // Throughput of a burst.
`;
if (!s.includes(warmBurst)) throw new Error('baseline bench: burst site not found');
s = s.replace(
  warmBurst,
  String.raw`    const wb = process.argv.indexOf('--warm-burst');
    const WARM_BURST = wb >= 0 ? Number(process.argv[wb + 1]) : 0;
    if (!Number.isInteger(WARM_BURST) || WARM_BURST < 0) throw new Error('--warm-burst: not a whole number >= 0');
    let done = total;
    if (WARM_BURST > 0) {
      await Promise.all(
        Array.from({ length: WARM_BURST }, (_, i) =>
          client.post(${'`${urls[i % urls.length]}/events/go`'}, headers, JSON.stringify({ sentAt: 0 })),
        ),
      );
      done += WARM_BURST;
      await waitDone(count, done);
    }
` + warmBurst,
);
if (!s.includes('await waitDone(count, total + BURST)')) throw new Error('baseline bench: end of burst not found');
s = s.replace('await waitDone(count, total + BURST)', 'await waitDone(count, done + BURST)');
s = s.replace(
  "import { tempDir } from '../test/support/tmp.js';\n",
  "import { tempDir } from '../test/support/tmp.js';\nimport { clientFromArgv, poster } from './http-post.js';\nconst CLIENT = clientFromArgv(process.argv);\nconst client = poster(CLIENT.kind, CLIENT.sockets);\n",
);
fs.writeFileSync(file, s);
EOF
  (cd "$BASE" && npx tsc -p tsconfig.json)
  touch "$BASE/.complete.3"
fi

one() {
  local tree=$1
  shift
  psql -q "$PG" -c CHECKPOINT
  sleep 1
  (cd "$tree" && timeout 300 "$NODE" dist/bench/substrate.js --seconds 3 --burst 2000 --only pg4 "$@" 2>/dev/null |
    grep burstRunsPerSec | tail -1) || {
    echo "the bench in $tree gave no result (run it alone to see why)" >&2
    return 1
  }
}
echo "node $("$NODE" --version), $(date -u +%H:%M) UTC, baseline $BASE"
for _ in $(seq 1 "$PAIRS"); do
  a=$(one "$BASE" "$@")
  b=$(one "$HERE" "$@")
  node -e '
    const [a, b] = process.argv.slice(1).map((l) => JSON.parse(l));
    const r = (b.burstRunsPerSec / a.burstRunsPerSec).toFixed(2);
    console.log(`${a.burstRunsPerSec} -> ${b.burstRunsPerSec} runs/s  ratio ${r}  worker ${b.workerCpuMsPerRun} / Postgres ${b.postgresCpuMsPerRun} ms per run, bench ${b.benchCpuMsPerPost} ms per POST`);
  ' "$a" "$b"
done
