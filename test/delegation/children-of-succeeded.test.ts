// An orchestrator that succeeds with a child it never joined (the child's take-up failed with a tool error
// and its model answered anyway) takes the child with it: the child is cancelled, signed `nightshift`,
// with the reason recorded, instead of staying queued for a worker or paused in an inbox for a result
// nobody reads (decision 049, docs/orchestration.md "Links, crashes, cancel"). Through the library
// runtime on a real SQLite store: the parent's own end, and a worker's claim of such a child a crash left;
// and `nightshift resume` of one by hand, as a child process, which cancels it as the worker does.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime, loadRoleFile } from '../../src/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { runCli } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { waitFor } from '../support/wait.js';

function tree(deskTurns: unknown[]) {
  return writeRoleTree([
    { name: 'desk', autonomy: 'full', specialists: ['slow'], turns: deskTurns },
    { name: 'slow', autonomy: 'full', input: TASK_INPUT, turns: [{ final: { ok: true } }] },
  ]);
}

/** A child of `parentId` as a failed take-up leaves it: recorded `queued`, never joined. */
function orphan(parentId: string, template: Partial<RunRecord>): RunRecord {
  return newRun({
    ...template,
    id: `${parentId}_child`,
    status: 'queued',
    input: { task: 't' },
    parentRunId: parentId,
    parentCallKey: `${parentId}:2:0`,
    idempotencyKey: null,
  });
}

const CANCELLED_BY_PARENT =
  /^cancelled by nightshift: its parent run \S+ succeeded without joining this run$/;

describe('the children of a parent that succeeded', () => {
  it('are cancelled when the parent ends, signed nightshift, with the reason', async () => {
    // The child appears while the parent's last turn is in flight (its take-up failed in an earlier turn).
    const t = tree([{ final: { done: true }, delayMs: 400 }]);
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      let recorded: Promise<RunRecord> | undefined;
      const result = await rt.run(
        t.file('desk'),
        {},
        {
          onStarted: (id) => {
            const child = orphan(id, { role: 'slow' });
            recorded = rt.store
              .createRun(child, { steps: [step(child.id, 1, 'run_started', {})], at: Date.now() })
              .then(() => child);
          },
        },
      );
      assert.equal(result.status, 'succeeded');
      const child = await recorded!;
      const now = (await rt.store.getRun(child.id))!;
      assert.equal(now.status, 'cancelled', `the unjoined child is ${now.status}`);
      assert.match(now.error?.message ?? '', CANCELLED_BY_PARENT);
      const audit = await rt.store.listAudit({ limit: 100 });
      const cancelled = audit.find((e) => e.action === 'run.cancelled' && e.target === child.id);
      assert.equal(cancelled?.actor, 'nightshift');
    } finally {
      await rt.close();
    }
  });

  it("are cancelled, not driven, by a worker that claims one (a crash came before the parent's cancel)", async () => {
    const t = tree([{ final: { done: true } }]);
    const rt = await createRuntime({ dataDir: t.dataDir });
    const stop = new AbortController();
    try {
      const parent = await rt.run(t.file('desk'), {});
      assert.equal(parent.status, 'succeeded');
      // A run of the specialist as recorded by this runtime (its role version in the store) as the template.
      const template = (await rt.enqueue(t.file('slow'), { task: 't' })).runId;
      const recorded = (await rt.store.getRun(template))!;
      await rt.cancel(template, { by: 'tester' });
      const child = orphan(parent.runId, {
        role: recorded.role,
        roleVersion: recorded.roleVersion,
        model: recorded.model,
      });
      await rt.store.createRun(child, { steps: [step(child.id, 1, 'run_started', {})], at: Date.now() });
      const desk = await loadRoleFile(t.file('desk'));
      const work = rt.work({ roles: [desk], concurrency: 1, pollMs: 20, signal: stop.signal });
      const settled = await waitFor(
        async () => {
          const r = await rt.store.getRun(child.id);
          return r && r.status !== 'queued' && r.status !== 'running' ? r : undefined;
        },
        'the worker to settle the claimed child',
        30_000,
      );
      assert.equal(settled.status, 'cancelled', `the child of a succeeded parent was ${settled.status}`);
      assert.match(settled.error?.message ?? '', CANCELLED_BY_PARENT);
      assert.equal(settled.turns, 0, 'its model was never asked');
      stop.abort();
      await work.done;
    } finally {
      stop.abort();
      await rt.close();
    }
  });

  it('are cancelled, not driven, by `nightshift resume` of one by hand, as by a worker', async () => {
    // Before, the foreground drove it to the end (its model asked, its tools run) for a result nobody
    // reads, while a worker claiming the same child cancelled it.
    const t = tree([{ final: { done: true } }]);
    const rt = await createRuntime({ dataDir: t.dataDir });
    let childId: string;
    try {
      const parent = await rt.run(t.file('desk'), {});
      assert.equal(parent.status, 'succeeded');
      const template = (await rt.enqueue(t.file('slow'), { task: 't' })).runId;
      const recorded = (await rt.store.loadRun(template))!;
      await rt.cancel(template, { by: 'tester' });
      const child = orphan(parent.runId, {
        role: recorded.run.role,
        roleVersion: recorded.run.roleVersion,
        model: recorded.run.model,
      });
      // Its first step as a real start records it, so a driver could take it up.
      const started = recorded.steps[0]!.data as Record<string, unknown>;
      await rt.store.createRun(child, { steps: [step(child.id, 1, 'run_started', started)], at: Date.now() });
      childId = child.id;
    } finally {
      await rt.close();
    }
    const res = await runCli(['resume', childId, '--json', '--data-dir', t.dataDir], { cwd: t.dir });
    assert.equal(res.code, 1, res.stderr);
    const printed = JSON.parse(res.stdout) as { runId: string; status: string };
    assert.equal(printed.status, 'cancelled', res.stdout);
    const after = await createRuntime({ dataDir: t.dataDir });
    try {
      const now = (await after.store.getRun(childId))!;
      assert.equal(now.status, 'cancelled');
      assert.match(now.error?.message ?? '', CANCELLED_BY_PARENT);
      assert.equal(now.turns, 0, 'its model was never asked');
    } finally {
      await after.close();
    }
  });
});
