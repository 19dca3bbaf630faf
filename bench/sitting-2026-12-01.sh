#!/usr/bin/env bash
# A short quiet sitting after stop 23's merge (bench/README.md, "A third quiet sitting"): nothing else ran.
# B = main before it (42732cb), I = this stop's tree; P = ../shared/peer-bench.
set -u
B=${B:-/work/wt/base}; I=${I:-/work/wt/integ}; P=${P:-/work/shared/peer-bench}
OUT=${OUT:-/tmp/sitting-1201}; mkdir -p "$OUT"
ulimit -n 20000
log() { echo "$* $(date -u +%T) load$(uptime | sed 's/.*average://')" >> "$OUT/log"; }
log start
# Goal 4: CPU per sequential run, both builds in one process, both orders.
(cd $I && node dist/bench/durable-ab.js $B $I --rounds 20 --per 100) > "$OUT/ab-1.txt" 2>&1
(cd $I && node dist/bench/durable-ab.js $I $B --rounds 20 --per 100) > "$OUT/ab-2.txt" 2>&1
log ab done
# Goal 4: separate processes, interleaved with the floor.
for rep in 1 2 3; do
  for t in $B $I; do
    (cd $t && node dist/bench/durable-runs.js --child --n 1500 --concurrency 1 --unsynced) | sed "s|^|dr $t rep=$rep: |" >> "$OUT/log"
  done
  (cd $P && node --expose-gc agent/harness.mjs --fw baseline --persist sqlite-normal --n 1500 --concurrency 1) | sed "s/^/floor rep=$rep: /" >> "$OUT/log"
done
log durable done
# Goal 2: 1,000 in flight, 2 s turns: serve's heap growth (50 %) against V8's own, alternated.
for rep in 1 2; do
  (cd $I && node dist/bench/in-flight.js --n 1000 --loops task:nightshift --reps 1 --drain-s 40) > "$OUT/if-50-$rep.txt" 2>&1
  (cd $I && node dist/bench/in-flight.js --n 1000 --loops task:nightshift --reps 1 --drain-s 40 --heap-growing-percent 0) > "$OUT/if-0-$rep.txt" 2>&1
done
log in-flight done
# Goal 5: the Postgres 4-worker burst, alternated.
for rep in 1 2 3; do
  for t in $B $I; do
    (cd $t && node dist/bench/substrate.js --seconds 3 --burst 2000 --only pg4) 2>&1 | tail -6 | sed "s|^|pg4 $t rep=$rep: |" >> "$OUT/log"
  done
done
log substrate done
