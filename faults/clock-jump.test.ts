// A wall-clock step under a worker that holds a run: NTP stepping a clock that drifted, an operator's
// `date -s`, a VM restored from a snapshot. The worker (a real `nightshift serve` with the clock-jump
// preload, faults/support/clock-jump.ts) is held at a non-idempotent charge when its wall clock jumps
// an hour forward or ten minutes back; the charge is held for five lease lengths (on Postgres a second
// worker with a true clock polls the queue meanwhile), then answered, and four more events follow.
// Contract: the step changes nothing a run does. Every run succeeds once, on its first attempt; no charge
// is made twice; nothing pauses for an unknown outcome (the lease was never in doubt: the worker kept
// renewing it) and nothing escalates because the jump looked like an hour of budget.maxSeconds.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { postgresUnavailable } from '../test/support/postgres.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster, type StoreKind } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const LEASE_MS = 2_000;
/** How long the charge is held after the jump: five lease lengths, long enough to lose a lease twice. */
const HOLD_MS = 5 * LEASE_MS;
const PRELOAD = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'support', 'clock-jump.js')).href;

const DIRECTIONS = [
  { id: 'forward', ms: 60 * 60_000, name: 'an hour forward' },
  { id: 'back', ms: -10 * 60_000, name: 'ten minutes back' },
];
const STORES: { kind: StoreKind; skip: string | false }[] = [
  { kind: 'postgres', skip: pgSkip ?? false },
  { kind: 'sqlite', skip: false },
];

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

describe('a wall-clock jump under a worker holding a run at a charge', () => {
  for (const s of STORES)
    for (const d of DIRECTIONS)
      it(`${s.kind}: the clock jumps ${d.name}; every run succeeds once, nothing charged twice or paused`, {
        skip: s.skip,
      }, async () => {
        const cluster = await openCluster({
          kind: s.kind,
          payments,
          leaseMs: LEASE_MS,
          turns: [
            { call: 'payments.charge', args: { amount: 1 } },
            { call: 'payments.charge', args: { amount: 2 } },
            { final: { paid: true } },
          ],
        });
        try {
          const jumper = await cluster.startWorker({
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${PRELOAD}`.trim(),
            FAULTS_CLOCK_JUMP_MS: String(d.ms),
          });
          payments.arm('before');
          const prefix = `jump-${s.kind}-${d.id}`;
          const first = await emitEvents(jumper.url, 1, `${prefix}-first`);
          assert.equal(first.length, 1);
          const held = await payments.held('before');
          assert.equal(held.pid, jumper.child.pid, 'the jumping worker holds the charge');
          // The honest worker: on Postgres it polls the queue with a true clock all along, and takes any
          // run whose lease the jumping worker let lapse (or wrote into the past).
          if (s.kind === 'postgres') await cluster.startWorker();

          jumper.child.kill('SIGUSR2');
          await sleep(HOLD_MS);
          payments.releaseAll();
          const releasedAt = Date.now();
          const more = await emitEvents(jumper.url, 4, `${prefix}-more`);
          const ids = [...first, ...more];

          const boundMs = 30_000;
          const settled = await waitSettled(cluster, ids, boundMs + 30_000);
          const recoveryMs = settled.at === undefined ? null : settled.at - releasedAt;
          const t = await tally(cluster, payments, ids, 2);
          const problems = [...breaches(t, { recoveryMs, boundMs }), ...t.details];
          if (more.length !== 4) problems.push(`${more.length} of 4 events after the jump accepted`);
          for (const id of ids) {
            const run = await cluster.store.getRun(id);
            if (run && run.attempt !== 1) problems.push(`run ${id} ran ${run.attempt} attempts, expected 1`);
            for (const e of await cluster.store.listEscalations({ runId: id }))
              problems.push(`run ${id} escalated (${e.category}): ${e.reason.slice(0, 120)}`);
          }
          record({
            id: `9-clock-jump-${s.kind}-${d.id}`,
            injection: `wall clock of the worker holding a charge jumps ${d.name} (Date only; monotonic clock and timers untouched)${s.kind === 'postgres' ? ', a second worker with a true clock polling' : ''}`,
            store: s.kind,
            started: t.started,
            finished: t.finished,
            paused: t.paused,
            lost: t.lost,
            duplicated: t.duplicated,
            stuck: t.stuck,
            recoveryMs,
            contract: `the charge held ${HOLD_MS / 1000} s (${HOLD_MS / LEASE_MS} leases) after the jump completes once under the same lease; the run and 4 more sent afterwards succeed on their first attempt within ${boundMs / 1000} s of the charge's release, with no unknown-outcome pause and no time-budget escalation.`,
            problems,
          });
          assert.deepEqual(problems, []);
        } finally {
          // Nothing of this case is left held or armed for the next one.
          payments.disarm('before');
          payments.releaseAll();
          await cluster.close();
        }
      });
});
