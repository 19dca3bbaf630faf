#!/usr/bin/env bash
# The evening's quiet sitting of issue 16 (bench/README.md, "A second quiet sitting"): nothing else ran.
# I = this stop's tree, M = main before it (f27d547), O = 547baeb (the code of the 2026-11-25 sitting);
# P = ../shared/peer-bench. Every configuration in its own process, the trees and loops interleaved.
set -u
I=${I:-/work/wt/integ}; M=${M:-/work/main}; O=${O:-/work/wt/old547}; P=${P:-/work/shared/peer-bench}
OUT=${OUT:-/tmp/sitting-evening}; mkdir -p "$OUT"
ulimit -n 20000
log() { echo "$* $(date -u +%T) load$(uptime | sed 's/.*average://')" >> "$OUT/log"; }
log start
for rep in 1 2 3; do
  for cfg in "1" "1 --unsynced" "50" "50 --unsynced"; do
    set -- $cfg; c=$1; shift
    for t in $M $I; do
      (cd $t && node dist/bench/durable-runs.js --child --n 1500 --concurrency $c "$@") | sed "s|^|dr $t c=$c $* rep=$rep: |" >> "$OUT/log"
    done
  done
  (cd $P && node --expose-gc agent/harness.mjs --fw baseline --persist sqlite-normal --n 1500 --concurrency 1) | sed "s/^/floor c=1 rep=$rep: /" >> "$OUT/log"
  (cd $P && node --expose-gc agent/harness.mjs --fw baseline --persist sqlite-normal --n 1500 --concurrency 50) | sed "s/^/floor c=50 rep=$rep: /" >> "$OUT/log"
done
log durable done
(cd $I && node dist/bench/model-turn.js --reps 3 --turns 1000 --runs 200) > "$OUT/model-turn.txt" 2>&1
log model-turn done
for rep in 1 2 3; do
  for t in $O $M $I; do
    (cd $t && node dist/bench/substrate.js --seconds 3 --burst 2000 --only pg4) 2>&1 | tail -6 | sed "s|^|pg4 $t rep=$rep: |" >> "$OUT/log"
  done
done
log substrate done
(cd $I && node dist/bench/in-flight.js --n 1000 --reps 3 --drain-s 60) > "$OUT/in-flight-1000.txt" 2>&1
log in-flight 1000 done
(cd $I && node dist/bench/in-flight.js --n 5000 --turn-ms 10000 --window 1 --reps 1 --drain-s 60) > "$OUT/in-flight-5000-10s.txt" 2>&1
log in-flight 5000 done
