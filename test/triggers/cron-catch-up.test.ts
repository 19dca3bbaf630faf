// `catchUp: true` runs the last tick missed while no worker was up — not a tick `overlap: skip` left out
// because a run of the role was under way. A skipped tick leaves nothing in the store, so before this a
// worker starting after it ran the tick late: work the schedule had deliberately not done. The runs here
// are written to a real SQLite store as a worker would have left them; the schedule is read at a fixed
// "now" so the tick caught up is known (2026-01-01T00:00Z for a yearly schedule read on 2026-06-01).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Role } from '../../src/roles/schema.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { startCronTriggers } from '../../src/triggers/cron.js';
import { roleUnderWayAt } from '../../src/triggers/under-way.js';
import { newApproval, newRun, step } from '../contract/store.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();
const NOW = new Date('2026-06-01T00:00:00Z');
const TICK = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

async function reporter(): Promise<Role> {
  const r = role({
    name: 'reporter',
    autonomy: 'observe',
    tools: [],
    ledgerTools: false,
    turns: [{ final: {} }],
    extra: { triggers: [{ cron: { schedule: '0 0 1 1 *', timezone: 'UTC', catchUp: true } }] },
  });
  return loadRoleFile(r.file);
}

/** A run as a worker left it; `paused`: the span its change set waited for a person (decided: null, still waits). */
type Made = Partial<RunRecord> & { paused?: { from: number; decided: number | null } };

/** Starts the schedule on a store holding `runs`; answers what the catch-up did with the tick. */
async function catchUpWith(runs: Made[]) {
  const tmp = tempDir('nightshift-catchup-');
  const store = openSqliteStore({ path: join(tmp.path, 'nightshift.db') });
  await store.init();
  after(async () => {
    await store.close();
    tmp.cleanup();
  });
  for (const { paused, ...over } of runs) {
    const run = newRun({ role: 'reporter', ...over });
    const approval = paused
      ? newApproval(run.id, {
          role: 'reporter',
          requestedAt: paused.from,
          decidedAt: paused.decided,
          status: paused.decided === null ? 'pending' : 'approved',
        })
      : undefined;
    await store.createRun(run, {
      steps: [step(run.id, 1, 'run_started', { input: {} })],
      ...(approval ? { approvals: [{ record: approval }] } : {}),
      at: run.createdAt,
    });
  }
  const r = await reporter();
  const fired: string[] = [];
  const skipped: { tick: string; late: boolean }[] = [];
  const cron = startCronTriggers({
    roles: [r],
    // As the daemon asks (src/server/daemon.ts).
    busy: async (x) =>
      (await store.listRuns({ role: x.name, status: ['queued', 'running'], limit: 1 })).length > 0,
    busyAt: (x, tick) => roleUnderWayAt(store, x.name, tick.getTime()),
    fire: async (_x, _tick, key) => {
      fired.push(key);
    },
    onSkip: (_x, tick, late) => skipped.push({ tick: tick.toISOString(), late }),
    onError: (err) => assert.fail(err as Error),
    now: () => NOW,
  });
  try {
    await waitFor(async () => (fired.length + skipped.length > 0 ? true : undefined), 'the catch-up');
  } finally {
    cron.stop();
  }
  return { fired, skipped };
}

describe('cron catch-up at start (overlap: skip)', () => {
  it('does not run a tick a run of the role was under way at (finished after it)', async () => {
    const { fired, skipped } = await catchUpWith([
      {
        status: 'succeeded',
        createdAt: TICK - 30 * MIN,
        updatedAt: TICK + 30 * MIN,
        finishedAt: TICK + 30 * MIN,
      },
    ]);
    assert.deepEqual(fired, [], 'the skipped tick was run late');
    assert.deepEqual(skipped, [{ tick: '2026-01-01T00:00:00.000Z', late: true }]);
  });

  it('does not run a tick a run paused after it was under way at', async () => {
    const { fired } = await catchUpWith([
      { status: 'escalated', createdAt: TICK - 30 * MIN, updatedAt: TICK + 5 * MIN, finishedAt: null },
    ]);
    assert.deepEqual(fired, []);
  });

  it('runs a tick missed while nothing of the role was under way', async () => {
    const { fired, skipped } = await catchUpWith([
      // Finished before the tick; paused for a person before it (not queued or running then); created after it.
      {
        status: 'succeeded',
        createdAt: TICK - 30 * MIN,
        updatedAt: TICK - 20 * MIN,
        finishedAt: TICK - 20 * MIN,
      },
      {
        status: 'awaiting_approval',
        createdAt: TICK - 10 * MIN,
        updatedAt: TICK - 5 * MIN,
        finishedAt: null,
        paused: { from: TICK - 5 * MIN, decided: null },
      },
      { status: 'failed', createdAt: TICK + MIN, updatedAt: TICK + 2 * MIN, finishedAt: TICK + 2 * MIN },
    ]);
    assert.deepEqual(skipped, []);
    assert.deepEqual(fired, ['cron:reporter:2026-01-01T00:00:00.000Z']);
  });

  it('runs a tick a run was paused for a person at, though it was approved and finished since', async () => {
    // A live worker at the tick would have fired it: only a run queued or running blocks a tick. The run
    // then changed after the tick (approved while serve was down, and finished), which is no reason to lose it.
    const { fired, skipped } = await catchUpWith([
      {
        status: 'succeeded',
        createdAt: TICK - 30 * MIN,
        updatedAt: TICK + 30 * MIN,
        finishedAt: TICK + 30 * MIN,
        paused: { from: TICK - 20 * MIN, decided: TICK + 10 * MIN },
      },
      {
        status: 'awaiting_approval',
        createdAt: TICK - 30 * MIN,
        updatedAt: TICK + 30 * MIN,
        finishedAt: null,
        paused: { from: TICK - 20 * MIN, decided: null },
      },
    ]);
    assert.deepEqual(skipped, []);
    assert.deepEqual(fired, ['cron:reporter:2026-01-01T00:00:00.000Z']);
  });

  it('finds the run under way past the first page of the role’s runs', async () => {
    // One long run under way at the tick, then 150 short ones finished before it.
    const runs: Partial<RunRecord>[] = [
      { status: 'succeeded', createdAt: TICK - 10_000 * MIN, updatedAt: TICK + MIN, finishedAt: TICK + MIN },
    ];
    for (let i = 0; i < 150; i++)
      runs.push({
        status: 'succeeded',
        createdAt: TICK - (200 - i) * MIN,
        updatedAt: TICK - (199 - i) * MIN,
        finishedAt: TICK - (199 - i) * MIN,
      });
    const { fired } = await catchUpWith(runs);
    assert.deepEqual(fired, []);
  });
});
