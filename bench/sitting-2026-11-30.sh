#!/usr/bin/env bash
# One quiet sitting: durable-runs (synced/unsynced, c1/c50, jitter) + the bare loop floor, interleaved, 3 reps;
# then model-turn (3 reps); substrate pg4 main vs integ alternated 3 times; in-flight 1000 for all loops.
set -u
I=/work/wt/integ; M=/work/main; P=/work/shared/peer-bench; OUT=/tmp/sitting; mkdir -p $OUT
echo "start $(date -u +%T) $(uptime)" > $OUT/log
for rep in 1 2 3; do
  for cfg in "1" "1 --unsynced" "50" "50 --unsynced" "50 --jitter" "50 --jitter --unsynced"; do
    set -- $cfg; c=$1; shift
    (cd $I && node dist/bench/durable-runs.js --child --n 1500 --concurrency $c "$@") | sed "s/^/dr c=$c $* rep=$rep: /" >> $OUT/log
  done
  (cd $P && node --expose-gc agent/harness.mjs --fw baseline --persist sqlite-normal --n 1500 --concurrency 1) | sed "s/^/floor c=1 rep=$rep: /" >> $OUT/log
  (cd $P && node --expose-gc agent/harness.mjs --fw baseline --persist sqlite-normal --n 1500 --concurrency 50) | sed "s/^/floor c=50 rep=$rep: /" >> $OUT/log
done
echo "durable done $(date -u +%T) $(uptime)" >> $OUT/log
(cd $I && node dist/bench/model-turn.js --reps 3 --turns 1000 --runs 200) > $OUT/model-turn.txt 2>&1
echo "model-turn done $(date -u +%T) $(uptime)" >> $OUT/log
for rep in 1 2 3; do
  for t in $M $I; do
    (cd $t && node dist/bench/substrate.js --seconds 3 --burst 2000 --only pg4) 2>&1 | tail -4 | sed "s|^|pg4 $t rep=$rep: |" >> $OUT/log
  done
done
echo "substrate done $(date -u +%T) $(uptime)" >> $OUT/log
(cd $I && node dist/bench/in-flight.js --n 1000 --reps 1 --drain-s 60) > $OUT/in-flight-1000.txt 2>&1
echo "in-flight done $(date -u +%T) $(uptime)" >> $OUT/log
(cd $I && node dist/bench/improve-round.js --reps 3) > $OUT/improve.txt 2>&1
echo "improve done $(date -u +%T) $(uptime)" >> $OUT/log
