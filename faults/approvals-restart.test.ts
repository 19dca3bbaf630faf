// Restart with approvals pending: runs paused for approval when the process holding them is killed with
// SIGKILL. Contract: nothing is lost with the process (the change sets live in the store), the restarted
// service does not run a drafted call by itself, approving (one while no worker is up, the rest after the
// restart) runs each drafted call exactly once, and approving again is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresUnavailable } from '../test/support/postgres.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { emitEvents, openCluster, type StoreKind } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const RUNS = 4;

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

async function scenario(kind: StoreKind): Promise<void> {
  const cluster = await openCluster({
    kind,
    payments,
    autonomy: 'draft',
    turns: [{ call: 'payments.charge', args: { amount: 5 } }, { final: { paid: true } }],
  });
  try {
    const first = await cluster.startWorker();
    const ids = await emitEvents(first.url, RUNS, `approve-${kind}`);
    assert.equal(ids.length, RUNS, 'not every event was accepted');
    const paused = await waitSettled(cluster, ids, 30_000);
    assert.ok(
      [...paused.runs.values()].every((r) => r?.status === 'awaiting_approval'),
      'the runs did not all pause for approval',
    );
    await cluster.kill(first);
    const pending = await cluster.store.listApprovals({ status: 'pending' });
    const problems: string[] = [];
    if (pending.length !== RUNS)
      problems.push(`${pending.length} of ${RUNS} approvals pending after the kill`);

    // One approval while no worker is up, the others after the restart.
    const approve = async (id: string) => {
      const res = await cluster.cli(['approve', id, '--json']);
      if (res.code !== 0) problems.push(`approve ${id}: exit ${res.code} ${res.stderr.trim()}`);
    };
    if (pending[0]) await approve(pending[0].id);
    await cluster.startWorker();
    const restartedAt = Date.now();
    for (const a of pending.slice(1)) await approve(a.id);
    const settled = await waitSettled(
      cluster,
      ids,
      60_000,
      (r) => r.status === 'succeeded' || r.status === 'failed',
    );
    const recoveryMs = settled.at === undefined ? null : settled.at - restartedAt;
    for (const a of pending) {
      const again = await cluster.cli(['approve', a.id, '--json']);
      if (again.code === 0 || !/APPROVAL_NOT_PENDING/.test(again.stderr))
        problems.push(`a second approve of ${a.id} was not refused (exit ${again.code})`);
    }
    const t = await tally(cluster, payments, ids, 1);
    // The approvals run in CLI processes: the bound is loose, what counts is once each.
    const boundMs = 60_000;
    problems.push(...breaches(t, { recoveryMs, boundMs }), ...t.details);
    record({
      id: `2-approvals-${kind}`,
      injection: 'kill -9 with approvals pending, approve across the restart',
      store: kind,
      started: t.started,
      finished: t.finished,
      paused: pending.length,
      lost: t.lost,
      duplicated: t.duplicated,
      stuck: t.stuck,
      recoveryMs,
      contract: `${RUNS} runs paused for approval survive the kill; one is approved while no worker is up, the rest after the restart; each drafted charge runs once, a second approve is refused (APPROVAL_NOT_PENDING); all finish within ${boundMs / 1000} s of the restart.`,
      problems,
    });
    assert.deepEqual(problems, []);
  } finally {
    await cluster.close();
  }
}

describe('restart with approvals pending', () => {
  it('the embedded daemon (SQLite)', () => scenario('sqlite'));
  it('a Postgres worker', { skip: pgSkip }, () => scenario('postgres'));
});
