// A crash loop, end to end: every process that executes the run is killed with `kill -9` while it runs
// the run's (idempotent) call, and a new one is started. Decision 054 and docs/deployment.md ("Job mode"):
// a worker dying mid-run counts as an attempt, and past `retry.maxAttempts` takeovers the run is failed
// `RUN_CRASHED` rather than crash the next worker too. Contract: exactly `maxAttempts` processes run the
// call (no more: the loop stops; no fewer: every attempt is honoured), the payments server applies the
// charge once (the key is the same on every attempt), the run ends `failed` with `RUN_CRASHED` naming the
// attempts, nothing is stuck, and the process that failed it stays up and serves the next run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresUnavailable } from '../test/support/postgres.js';
import { waitFor } from '../test/support/wait.js';
import { tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster, type StoreKind, workerByPid } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const MAX_ATTEMPTS = 3;
/** SQLite's lease is long on purpose: a restarted daemon must take its dead predecessor's run at once. */
const LEASE_MS = { sqlite: 20_000, postgres: 2_000 };

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

async function scenario(kind: StoreKind): Promise<void> {
  const leaseMs = LEASE_MS[kind];
  const cluster = await openCluster({
    kind,
    payments,
    tools: ['payments.charge_once'],
    leaseMs,
    turns: [{ call: 'payments.charge_once', args: { amount: 1 } }, { final: { paid: true } }],
    roleExtra: { retry: { maxAttempts: MAX_ATTEMPTS, backoffSeconds: 1, maxBackoffSeconds: 1 } },
  });
  try {
    // SQLite: one embedded daemon, started again after each kill. Postgres: two workers; each kill is of
    // the one holding the run, and a fresh one replaces it, so the survivor (or the newcomer) takes over.
    for (let i = 0; i < (kind === 'postgres' ? 2 : 1); i++) await cluster.startWorker();
    payments.arm('after', 100);
    const ids = await emitEvents(cluster.workers[0]!.url, 1, `crash-loop-${kind}`);
    assert.equal(ids.length, 1, 'the event was not accepted');
    const runId = ids[0]!;

    const killed: number[] = [];
    let lastKillAt = 0;
    let lastStartAt = 0;
    // Kill whoever holds the call, each time it holds it, until the run leaves `running` (or the loop
    // clearly does not stop: more kills than attempts is already a failure, 2 more make it certain).
    for (let round = 0; round < MAX_ATTEMPTS + 2; round++) {
      const held = await Promise.race([
        payments.held('after', 90_000),
        waitFor(
          async () => {
            const r = await cluster.store.getRun(runId);
            return r && r.status !== 'running' && r.status !== 'queued' ? ('settled' as const) : undefined;
          },
          'the run to settle',
          90_000,
        ),
      ]);
      if (held === 'settled') break;
      const pid = held.pid;
      await cluster.kill(workerByPid(cluster, pid));
      // The held request of a dead process is dropped by the server; let the next holder be seen afresh.
      payments.releaseAll();
      killed.push(pid);
      lastKillAt = Date.now();
      await cluster.startWorker();
      lastStartAt = Date.now();
    }
    const boundMs = 10_000 + (kind === 'postgres' ? leaseMs : 0);
    const settled = await waitSettled(cluster, ids, boundMs + 30_000);
    const snap = await cluster.store.loadRun(runId);
    // From the store's own end time (a restart can take longer than the takeover on a loaded machine): on
    // SQLite from the restarted daemon being up, on Postgres from the kill (the other worker takes over).
    const finishedAt = settled.at === undefined ? undefined : (snap?.run.finishedAt ?? settled.at);
    const from = kind === 'sqlite' ? lastStartAt : lastKillAt;
    const recoveryMs = finishedAt === undefined ? null : Math.max(0, finishedAt - from);
    const t = await tally(cluster, payments, ids, 1);
    const problems: string[] = [];
    if (killed.length !== MAX_ATTEMPTS)
      problems.push(`${killed.length} processes ran the call and were killed; expected ${MAX_ATTEMPTS}`);
    if (snap?.run.status !== 'failed' || snap.run.error?.code !== 'RUN_CRASHED')
      problems.push(
        `the run ended ${snap?.run.status} ${snap?.run.error?.code ?? ''}, not failed RUN_CRASHED`,
      );
    if (payments.applied(snap?.toolCalls[0]?.key ?? '') !== 1)
      problems.push(
        `the idempotent charge was applied ${payments.applied(snap?.toolCalls[0]?.key ?? '')} times`,
      );
    if (t.lost + t.duplicated + t.stuck > 0) problems.push(...t.details);
    if (recoveryMs === null || recoveryMs > boundMs)
      problems.push(`settled ${recoveryMs === null ? 'never' : `${recoveryMs} ms`} after the last kill`);
    // The cluster still works after the loop: a live process (the newest; any may claim it) does the next run.
    payments.disarm('after');
    const next = await emitEvents(cluster.workers.at(-1)!.url, 1, `after-loop-${kind}`);
    const nextSettled = await waitSettled(cluster, next, 30_000);
    if (nextSettled.runs.get(next[0]!)?.status !== 'succeeded')
      problems.push(`the next run ended ${nextSettled.runs.get(next[0]!)?.status}`);
    record({
      id: `1-crash-loop-${kind}`,
      injection: `kill -9 of every process that runs the run (crash loop, retry.maxAttempts ${MAX_ATTEMPTS})`,
      store: kind,
      started: 1,
      finished: 0,
      paused: 0,
      lost: t.lost,
      duplicated: t.duplicated,
      stuck: t.stuck,
      recoveryMs,
      contract: `${MAX_ATTEMPTS} processes run the call, one charge lands, the run fails RUN_CRASHED within ${(boundMs / 1000).toFixed(0)} s of the last kill; the next run succeeds`,
      problems,
      notes: `killed ${killed.length}; ${snap?.run.error?.message ?? ''}`,
    });
    assert.deepEqual(problems, []);
    assert.match(snap!.run.error!.message, new RegExp(`stopped \\(died or hung\\) ${MAX_ATTEMPTS} times`));
    // before: the run showed attempt MAX_ATTEMPTS + 1 (the takeover that was refused, never run).
    assert.equal(snap!.run.attempt, MAX_ATTEMPTS, 'the last attempt that ran');
    assert.equal(snap!.run.error!.details?.attempt, MAX_ATTEMPTS);
  } finally {
    payments.releaseAll();
    await cluster.close();
  }
}

describe('a crash loop ends RUN_CRASHED after retry.maxAttempts', () => {
  it('the embedded daemon (SQLite), killed each time and started again', () => scenario('sqlite'));
  it('Postgres workers, the holder killed each time', { skip: pgSkip }, () => scenario('postgres'));
});
