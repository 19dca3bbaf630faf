// Which ended parents take their children with them (src/engine/cancel.ts, docs/orchestration.md "Links,
// crashes, cancel"): a run that failed or was cancelled for good cancels its unfinished children; a
// continuous agent's failed run (its supervisor reopens it to continue from its last step) keeps them,
// and so does a parent reopened between its failure and the cancel. A real SQLite store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { cancelChildrenOfEnded, endedForGood } from '../../src/engine/cancel.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord, Store } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-children-of-ended-');
const store: Store = openSqliteStore({ path: join(tmp.path, 'nightshift.db') });
after(async () => {
  await store.close();
  tmp.cleanup();
});

async function create(over: Partial<RunRecord>): Promise<RunRecord> {
  const run = newRun(over);
  const { created } = await store.createRun(run, {
    steps: [step(run.id, 1, 'run_started', { input: run.input })],
    at: run.createdAt,
  });
  assert.equal(created, true);
  return run;
}

/** A parent in `status` with one queued child; returns both as the store now has them after the rule ran. */
async function family(parentOver: Partial<RunRecord>): Promise<{ parent: RunRecord; child: RunRecord }> {
  await store.init();
  const parent = await create({ role: 'orchestrator', ...parentOver });
  const child = await create({
    role: 'specialist',
    status: 'queued',
    parentRunId: parent.id,
    parentCallKey: `${parent.id}:1:0`,
  });
  await cancelChildrenOfEnded(store, systemClock, parent);
  return { parent, child: (await store.getRun(child.id))! };
}

describe('the children of an ended parent', () => {
  it('are cancelled, signed nightshift, when the parent failed for good', async () => {
    const { parent, child } = await family({
      status: 'failed',
      error: { code: 'BUDGET_EXCEEDED', message: 'out of time' },
    });
    assert.equal(child.status, 'cancelled');
    assert.match(
      child.error?.message ?? '',
      new RegExp(`cancelled by nightshift: its parent run ${parent.id} failed \\(BUDGET_EXCEEDED\\)`),
    );
  });

  it("are kept when the parent is a continuous agent's failed run, which its supervisor reopens", async () => {
    const { child } = await family({
      status: 'failed',
      idempotencyKey: `inbox:${Date.now()}`,
      error: { code: 'TOOL_ERROR', message: 'x' },
    });
    assert.equal(child.status, 'queued');
  });

  it('are kept when the parent was reopened between its failure and the cancel', async () => {
    // The record handed in says failed; the store says running (a reopen came in between).
    await store.init();
    const parent = await create({ role: 'orchestrator', status: 'running' });
    const child = await create({
      role: 'specialist',
      status: 'queued',
      parentRunId: parent.id,
      parentCallKey: `${parent.id}:1:0`,
    });
    await cancelChildrenOfEnded(store, systemClock, { ...parent, status: 'failed' });
    assert.equal((await store.getRun(child.id))?.status, 'queued');
  });

  it("endedForGood: succeeded, failed or cancelled, except a continuous agent's failed run", () => {
    const base = newRun();
    assert.equal(endedForGood({ ...base, status: 'failed' }), true);
    assert.equal(endedForGood({ ...base, status: 'cancelled' }), true);
    assert.equal(endedForGood({ ...base, status: 'cancelled', idempotencyKey: 'inbox:x' }), true);
    assert.equal(endedForGood({ ...base, status: 'failed', idempotencyKey: 'inbox:x' }), false);
    assert.equal(endedForGood({ ...base, status: 'succeeded' }), true);
    assert.equal(endedForGood({ ...base, status: 'succeeded', idempotencyKey: 'inbox:x' }), true);
    assert.equal(endedForGood({ ...base, status: 'queued' }), false);
  });
});
