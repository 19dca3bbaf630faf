// kill -9 in the middle of a burst: many runs in flight, each making two idempotent charges, when the
// process executing them dies. On SQLite the embedded daemon is started again (with a long lease, so a
// takeover that waits for the lease misses the bound); on Postgres one of two workers dies and the
// other takes its runs over when their leases expire. Contract: every accepted run finishes, every
// charge lands once, within the bound.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresUnavailable } from '../test/support/postgres.js';
import { waitFor } from '../test/support/wait.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster, pidOfOwner, type StoreKind, workerByPid } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const RUNS = 60;
const LEASE_MS = { sqlite: 30_000, postgres: 2_000 };

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

async function scenario(kind: StoreKind): Promise<void> {
  const cluster = await openCluster({
    kind,
    payments,
    tools: ['payments.charge_once'],
    leaseMs: LEASE_MS[kind],
    concurrency: 8,
    turns: [
      { call: 'payments.charge_once', args: { amount: 1 }, delayMs: 100 },
      { call: 'payments.charge_once', args: { amount: 2 }, delayMs: 100 },
      { final: { paid: true }, delayMs: 100 },
    ],
  });
  try {
    for (let i = 0; i < (kind === 'postgres' ? 2 : 1); i++) await cluster.startWorker();
    const ids = await emitEvents(cluster.workers[0]!.url, RUNS, `burst-${kind}`);
    assert.equal(ids.length, RUNS, 'not every event was accepted');
    // Kill the process running some of them once a few have finished.
    const victimPid = await waitFor(async () => {
      const counts = await cluster.store.countRuns(['succeeded']);
      if ((counts.succeeded ?? 0) < 5) return undefined;
      const running = await cluster.store.listRuns({ status: ['running'], limit: 1000 });
      return pidOfOwner(running[0]?.leaseOwner ?? null);
    }, 'runs in flight after a few finished');
    const done = (await cluster.store.countRuns(['succeeded'])).succeeded ?? 0;
    await cluster.kill(workerByPid(cluster, victimPid));
    let from = Date.now();
    if (kind === 'sqlite') {
      await cluster.startWorker();
      from = Date.now();
    }
    const boundMs = 20_000;
    const settled = await waitSettled(cluster, ids, LEASE_MS[kind] + 40_000);
    const recoveryMs = settled.at === undefined ? null : settled.at - from;
    const t = await tally(cluster, payments, ids, 2);
    const problems = [...breaches(t, { recoveryMs, boundMs }), ...t.details];
    record({
      id: `3-burst-${kind}`,
      injection: `kill -9 in a burst of ${RUNS} runs`,
      store: kind,
      started: t.started,
      finished: t.finished,
      paused: t.paused,
      lost: t.lost,
      duplicated: t.duplicated,
      stuck: t.stuck,
      recoveryMs,
      contract: `every run finishes with its two idempotent charges landed once each, within ${boundMs / 1000} s of ${kind === 'sqlite' ? 'the restart (lease 30 s: the dead holder is taken over at once)' : 'the kill (lease 2 s)'}.`,
      problems,
      notes: `(${done} had finished at the kill.)`,
    });
    assert.deepEqual(problems, []);
  } finally {
    await cluster.close();
  }
}

describe('kill -9 in the middle of a burst', () => {
  it('the embedded daemon (SQLite), restarted', () => scenario('sqlite'));
  it('one of two Postgres workers', { skip: pgSkip }, () => scenario('postgres'));
});
