// A specialist's `concurrency` ("at most this many runs of the role at once, across all workers") holds for
// its child runs too: delegations past the limit wait, queued and unleased, until a place frees; they are
// not driven at once beside the ones in flight. The specialist's tool holds (test/fixtures/tools/ledger.ts)
// until the test releases it, so what is in flight meanwhile is read from the store, not from a clock.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime, loadRoleFile, type Runtime } from '../../src/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { type RoleTree, TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const skipPostgres = await postgresUnavailable();

/** `desk` delegates `fanOut` tasks in one turn to `slow`, whose concurrency is 1 and whose tool holds. */
function tree(fanOut: number): RoleTree {
  return writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['slow'],
      turns: [
        {
          calls: Array.from({ length: fanOut }, (_, i) => ({
            tool: 'delegate.slow',
            args: { task: `t${i}` },
          })),
        },
        { final: { done: true } },
      ],
    },
    {
      name: 'slow',
      autonomy: 'full',
      tools: ['ledger.append'],
      input: TASK_INPUT,
      extra: { concurrency: 1 },
      turns: [{ call: 'ledger.append', args: { entry: 'in', hold: 'x' } }, { final: { ok: true } }],
    },
  ]);
}

/** The specialist's runs once `n` of them exist and one is inside its held tool call. */
async function childrenHeld(rt: Runtime, t: RoleTree, n: number): Promise<RunRecord[]> {
  return waitFor(async () => {
    const runs = await rt.list({ role: 'slow' });
    return runs.length === n && existsSync(join(t.workspace, 'reached-x')) ? runs : undefined;
  }, `${n} runs of the specialist, one in its tool call`);
}

function assertOneInFlight(runs: RunRecord[], t: RoleTree): void {
  const now = Date.now();
  const live = runs.filter((r) => r.leaseOwner !== null && (r.leaseUntil ?? 0) > now);
  assert.equal(
    live.length,
    1,
    `runs of slow in flight: ${runs.map((r) => `${r.id} ${r.status}`).join(', ')}`,
  );
  for (const r of runs.filter((r) => !live.includes(r))) assert.equal(r.status, 'queued');
  // Only the one in flight reached its tool.
  assert.equal(readFileSync(join(t.workspace, 'ledger.txt'), 'utf8'), 'in\n');
}

describe('a specialist with a concurrency', () => {
  it('runs one turn of delegations one at a time, then joins them all (nightshift run)', async () => {
    const t = tree(2);
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const desk = await loadRoleFile(t.file('desk'));
      const run = rt.run(desk, {});
      assertOneInFlight(await childrenHeld(rt, t, 2), t);
      writeFileSync(join(t.workspace, 'release-x'), '');
      const done = await run;
      assert.equal(done.status, 'succeeded');
      assert.equal(readFileSync(join(t.workspace, 'ledger.txt'), 'utf8'), 'in\nin\n');
      const children = await rt.list({ parentRunId: done.runId });
      assert.deepEqual(
        children.map((c) => c.status),
        ['succeeded', 'succeeded'],
      );
    } finally {
      await rt.close();
    }
  });

  describe('on Postgres, under a worker', { skip: skipPostgres }, () => {
    const schema = freshSchema();
    after(() => dropSchema(schema));

    it('holds across orchestrators: a second parent waits for the place, the worker claims within it', async () => {
      const t = tree(1);
      const rt = await createRuntime({
        store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
      });
      const stop = new AbortController();
      try {
        const desk = await loadRoleFile(t.file('desk'));
        const first = await rt.enqueue(desk, { n: 1 });
        const second = await rt.enqueue(desk, { n: 2 });
        const work = rt.work({ roles: [desk], concurrency: 4, pollMs: 20, signal: stop.signal });
        assertOneInFlight(await childrenHeld(rt, t, 2), t);
        writeFileSync(join(t.workspace, 'release-x'), '');
        for (const id of [first.runId, second.runId]) {
          const run = await waitFor(async () => {
            const r = await rt.store.getRun(id);
            return r?.status === 'succeeded' ? r : undefined;
          }, `orchestrator ${id} to finish`);
          assert.deepEqual(run.output, { done: true });
        }
        assert.equal(readFileSync(join(t.workspace, 'ledger.txt'), 'utf8'), 'in\nin\n');
        stop.abort();
        await work.done;
      } finally {
        stop.abort();
        await rt.close();
      }
    });
  });
});
