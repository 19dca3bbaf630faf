// A specialist's `concurrency` ("at most this many runs of the role at once, across all workers") binds the
// child runs its orchestrators delegate to it: under `serve --concurrency 4` (SQLite) and two workers on
// one Postgres store, three orchestrators' children of a `concurrency: 1` specialist never overlap in its
// tool (test/fixtures/tools/occupancy.ts records entry and exit); the children wait queued, visibly (a
// `child_queued` step on the parent), are driven by their parents' drivers (the parent's budget counts
// their cost), and a kill -9 of the daemon while they wait loses nothing.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime, loadRoleFile } from '../../src/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { type Served, startServe } from '../support/cli.js';
import { type RoleTree, TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { occupancy } from '../support/occupancy.js';
import { fixtures } from '../support/paths.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const skipPostgres = await postgresUnavailable();
const TOOLS = [fixtures('tools', 'ledger.ts'), fixtures('tools', 'occupancy.ts')];

/** `desk` (on event `ticket.opened`) delegates one task to `slow` (concurrency 1), which stays in its tool. */
function tree(slowTurns: unknown[]): RoleTree {
  return writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['slow'],
      extra: { triggers: [{ event: 'ticket.opened' }], toolModules: TOOLS },
      turns: [{ call: 'delegate.slow', args: { task: 't' } }, { final: { done: true } }],
    },
    {
      name: 'slow',
      autonomy: 'full',
      tools: ['slot.occupy', 'ledger.append_once'],
      input: TASK_INPUT,
      extra: { concurrency: 1, toolModules: TOOLS },
      turns: slowTurns,
    },
  ]);
}

const OCCUPY = { call: 'slot.occupy', args: { who: 'slow', ms: 300 }, usage: { costUsd: 0.01 } };

async function emit(served: Served, n: number): Promise<string[]> {
  const ids = await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(new URL('/events/ticket.opened', served.url), {
        method: 'POST',
        headers: { ...served.auth, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 202, await res.clone().text());
      return ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
    }),
  );
  return ids;
}

async function runsOf(dataDir: string): Promise<RunRecord[]> {
  const store = openSqliteStore({ path: join(dataDir, 'nightshift.db') });
  try {
    await store.init();
    return await store.listRuns({ limit: 100 });
  } finally {
    await store.close();
  }
}

async function allSucceeded(dataDir: string, ids: string[]): Promise<RunRecord[]> {
  return waitFor(
    async () => {
      const runs = await runsOf(dataDir);
      const desks = runs.filter((r) => ids.includes(r.id));
      return desks.length === ids.length && desks.every((r) => r.status === 'succeeded') ? runs : undefined;
    },
    'the orchestrators to succeed',
    90_000,
  );
}

describe('a specialist with a concurrency, delegated to by several orchestrators', () => {
  it('under serve --concurrency 4 on SQLite: one child at a time, each queued child visible, costs on the parent', async () => {
    const t = tree([OCCUPY, { final: { ok: true } }]);
    const served = await startServe([
      t.dir,
      '--port',
      '0',
      '--concurrency',
      '4',
      '--poll-ms',
      '20',
      '--data-dir',
      t.dataDir,
    ]);
    try {
      const ids = await emit(served, 3);
      const runs = await allSucceeded(t.dataDir, ids);
      assert.deepEqual(occupancy(t.workspace), { most: 1, entered: 3, left: 3 });
      const store = openSqliteStore({ path: join(t.dataDir, 'nightshift.db') });
      try {
        await store.init();
        const children = runs.filter((r) => r.role === 'slow');
        assert.equal(children.length, 3);
        let queued = 0;
        for (const id of ids) {
          const parent = (await store.loadRun(id))!;
          const child = children.find((c) => c.parentRunId === id)!;
          queued += parent.steps.filter((s) => s.kind === 'child_queued').length;
          // The parent's driver took its child up (not a worker's claim): the child's lease went to the
          // parent's owner; and the child's cost counts on the parent.
          const resumed = (await store.loadRun(child.id))!.steps.find((s) => s.kind === 'run_resumed');
          const turn = parent.steps.find((s) => s.kind === 'model_turn');
          assert.equal(
            resumed?.data.owner,
            turn?.data.worker,
            `child ${child.id} taken up by its parent's driver`,
          );
          assert.ok(parent.run.usage.costUsd >= 0.01, `parent ${id} counts its child's cost`);
        }
        // With one place and three children at once, at least one waited, and its parent's log says so.
        assert.ok(queued >= 1, 'a child_queued step on a waiting parent');
      } finally {
        await store.close();
      }
    } finally {
      served.child.kill('SIGTERM');
      await served.done;
    }
  });

  it('a kill -9 of serve while children wait for the place loses nothing: a new serve finishes them', async () => {
    const t = tree([
      { call: 'ledger.append_once', args: { entry: 'in', hold: 'x' } },
      OCCUPY,
      { final: { ok: true } },
    ]);
    const args = [t.dir, '--port', '0', '--concurrency', '4', '--poll-ms', '20', '--data-dir', t.dataDir];
    const first = await startServe(args);
    let ids: string[];
    try {
      ids = await emit(first, 3);
      // One child inside its held call, the other two queued behind it.
      await waitFor(async () => {
        const slow = (await runsOf(t.dataDir)).filter((r) => r.role === 'slow');
        return existsSync(join(t.workspace, 'reached-x')) &&
          slow.length === 3 &&
          slow.filter((r) => r.status === 'queued').length === 2
          ? slow
          : undefined;
      }, 'one child in flight and two queued');
    } finally {
      first.child.kill('SIGKILL');
      await first.done;
    }
    const waiting = (await runsOf(t.dataDir)).filter((r) => r.role === 'slow' && r.status === 'queued');
    assert.equal(waiting.length, 2);
    for (const r of waiting) assert.equal(r.leaseOwner, null);
    const second = await startServe(args);
    try {
      writeFileSync(join(t.workspace, 'release-x'), '');
      const runs = await allSucceeded(t.dataDir, ids);
      assert.equal(runs.filter((r) => r.role === 'slow').length, 3, 'no second child for any call');
      assert.ok(runs.filter((r) => r.role === 'slow').every((r) => r.status === 'succeeded'));
      assert.deepEqual(occupancy(t.workspace), { most: 1, entered: 3, left: 3 });
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  });

  describe('on Postgres, two workers sharing the store', { skip: skipPostgres }, () => {
    const schema = freshSchema();
    after(() => dropSchema(schema));

    it('never has two children in the specialist at once, and no worker claims a waiting child', async () => {
      const t = tree([OCCUPY, { final: { ok: true } }]);
      const open = () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      const a = await createRuntime({ store: open() });
      const b = await createRuntime({ store: open() });
      const stop = new AbortController();
      try {
        const desk = await loadRoleFile(t.file('desk'));
        const ids = [];
        for (let i = 0; i < 3; i++) ids.push((await a.enqueue(desk, { n: i })).runId);
        const works = [a, b].map((rt) =>
          rt.work({ roles: [desk], concurrency: 4, pollMs: 20, signal: stop.signal }),
        );
        for (const id of ids) {
          await waitFor(
            async () => {
              const r = await a.store.getRun(id);
              return r?.status === 'succeeded' ? r : undefined;
            },
            `orchestrator ${id} to finish`,
            90_000,
          );
        }
        assert.deepEqual(occupancy(t.workspace), { most: 1, entered: 3, left: 3 });
        for (const id of ids) {
          const parent = (await a.store.loadRun(id))!;
          const [child] = await a.list({ parentRunId: id });
          const resumed = (await a.store.loadRun(child!.id))!.steps.find((s) => s.kind === 'run_resumed');
          const turn = parent.steps.find((s) => s.kind === 'model_turn');
          assert.equal(resumed?.data.owner, turn?.data.worker, "taken up by its parent's driver");
          assert.ok(parent.run.usage.costUsd >= 0.01);
        }
        stop.abort();
        await Promise.all(works.map((w) => w.done));
      } finally {
        stop.abort();
        await a.close();
        await b.close();
      }
    });
  });
});
