// A frozen worker (a zombie): a Postgres worker stopped with SIGSTOP after it claimed a non-idempotent
// charge and before it made it, kept frozen past its lease. The other worker takes the run over and
// pauses it (`unknown_outcome`); the checker sees no charge landed and lets the call run once; the run
// finishes. Then the frozen worker is released (SIGCONT) with its tool's request answered, as after a
// long GC pause or a VM stall. Contract: it must not charge again — its lease is gone, so its call must
// be aborted, and the fencing token it passes must let the payments server refuse it — and nothing it
// does after waking may change the run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresUnavailable } from '../test/support/postgres.js';
import { answerUnknownOutcomes, breaches, tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster } from './support/cluster.js';
import { freezeChargeHolder, wakeChargeHolder } from './support/frozen-holder.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const LEASE_MS = 2_000;

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

const VARIANTS = [
  { id: 'a-cancellable', ignoreSignal: false, name: 'a tool that honours its abort signal' },
  {
    id: 'b-uncancellable',
    ignoreSignal: true,
    name: 'a tool that cannot be cancelled (only fencing stops it)',
  },
];

describe('a frozen worker (SIGSTOP past its lease, then SIGCONT)', { skip: pgSkip }, () => {
  for (const v of VARIANTS)
    it(`${v.name}: wakes up after another worker and a person finished its run, and charges nothing twice`, async () => {
      const cluster = await openCluster({
        kind: 'postgres',
        payments,
        leaseMs: LEASE_MS,
        turns: [
          { call: 'payments.charge', args: { amount: 1, ignoreSignal: v.ignoreSignal } },
          { call: 'payments.charge', args: { amount: 2, ignoreSignal: v.ignoreSignal } },
          { call: 'payments.charge', args: { amount: 3, ignoreSignal: v.ignoreSignal } },
          { final: { paid: true } },
        ],
      });
      try {
        for (let i = 0; i < 2; i++) await cluster.startWorker();
        payments.arm('before');
        const ids = await emitEvents(cluster.workers[0]!.url, 1, 'frozen');
        assert.equal(ids.length, 1);
        const zombie = await freezeChargeHolder(cluster, payments);

        const boundMs = LEASE_MS + 10_000;
        const settled = await waitSettled(cluster, ids, boundMs + 20_000);
        const recoveryMs = settled.at === undefined ? null : settled.at - zombie.at;
        const answered = await answerUnknownOutcomes(cluster, payments, ids);
        await waitSettled(cluster, ids, 30_000, (r) => r.status === 'succeeded' || r.status === 'failed');

        // Wake the zombie with its tool's request answered, as if the world had moved on during a pause.
        const woke = await wakeChargeHolder(payments, zombie);
        const t = await tally(cluster, payments, ids, 3);
        const problems = [...breaches(t, { recoveryMs, boundMs }), ...t.details];
        if (answered !== 1) problems.push(`${answered} unknown outcomes answered, expected 1`);
        const after = await cluster.store.getRun(ids[0]!);
        if (after?.status !== 'succeeded') problems.push(`the run is ${after?.status} after the zombie woke`);
        record({
          id: `4-frozen-postgres-${v.id}`,
          injection: `frozen worker (SIGSTOP between claim and call, past the lease, then SIGCONT), ${v.name}`,
          store: 'postgres',
          started: t.started,
          finished: t.finished,
          paused: answered,
          lost: t.lost,
          duplicated: t.duplicated,
          stuck: t.stuck,
          recoveryMs,
          contract: `the other worker pauses the run (\`unknown_outcome\`) within ${boundMs / 1000} s of the freeze; the checker lets the call run once; the woken worker's call is aborted or refused by its stale fencing token: 3 charges in all.`,
          problems,
          notes: `(The woken worker's call: ${woke?.outcome ?? 'no report'}.)`,
        });
        assert.deepEqual(problems, []);
      } finally {
        await cluster.close();
      }
    });
});
