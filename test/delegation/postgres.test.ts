// Delegation on Postgres (migration 12): an orchestrator queued for a worker (as `serve` runs it) is driven
// with its children; the children are linked to it in the store, and listed by parent.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRuntime, loadRoleFile } from '../../src/index.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const skip = await postgresUnavailable();

describe('delegation on Postgres', { skip }, () => {
  const schema = freshSchema();
  after(() => dropSchema(schema));

  it('a worker drives a queued orchestrator and its children to the joined output', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'sandbox',
        specialists: ['reader', 'writer'],
        turns: [
          {
            calls: [
              { tool: 'delegate.reader', args: { task: 'read' } },
              { tool: 'delegate.writer', args: { task: 'write' } },
            ],
          },
          { final: { done: true } },
        ],
      },
      { name: 'reader', autonomy: 'observe', input: TASK_INPUT, turns: [{ final: { read: true } }] },
      {
        name: 'writer',
        autonomy: 'full',
        tools: ['ledger.append'],
        input: TASK_INPUT,
        turns: [{ call: 'ledger.append', args: { entry: 'x' } }, { final: { wrote: false } }],
      },
    ]);
    const rt = await createRuntime({
      databaseUrl: TEST_DATABASE_URL,
      env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    const stop = new AbortController();
    try {
      const desk = await loadRoleFile(tree.file('desk'));
      const queued = await rt.enqueue(desk, {});
      assert.equal(queued.status, 'queued');
      const work = rt.work({ roles: [desk], concurrency: 2, pollMs: 50, signal: stop.signal });
      const done = await waitFor(async () => {
        const run = await rt.store.getRun(queued.runId);
        return run?.status === 'succeeded' ? run : undefined;
      }, 'the orchestrator to finish');
      assert.deepEqual(done.output, { done: true });
      const children = await rt.list({ parentRunId: queued.runId });
      assert.deepEqual(children.map((c) => c.role).sort(), ['reader', 'writer']);
      for (const c of children) {
        assert.equal(c.parentRunId, queued.runId);
        assert.match(c.parentCallKey!, new RegExp(`^${queued.runId}:`));
        // The orchestrator is at sandbox: its full specialist is capped there.
        assert.equal(c.autonomyCap, 'sandbox');
      }
      // At sandbox an unscoped external tool is denied: the cap held on Postgres too.
      const writer = (await rt.get(children.find((c) => c.role === 'writer')!.id))!;
      assert.equal(writer.toolCalls[0]!.decision, 'deny');
      stop.abort();
      await work.done;
    } finally {
      stop.abort();
      await rt.close();
    }
  });

  it('a worker takes up a parent whose waiting child was cancelled, and joins the child', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['asker'],
        turns: [{ call: 'delegate.asker', args: { task: 'ask' } }, { final: { routed: 'elsewhere' } }],
      },
      {
        name: 'asker',
        autonomy: 'full',
        input: TASK_INPUT,
        turns: [{ escalate: { category: 'ambiguous', reason: 'which one?' } }],
      },
    ]);
    const rt = await createRuntime({
      databaseUrl: TEST_DATABASE_URL,
      env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
    });
    const stop = new AbortController();
    try {
      const desk = await loadRoleFile(tree.file('desk'));
      const queued = await rt.enqueue(desk, {});
      const work = rt.work({ roles: [desk], concurrency: 1, pollMs: 50, signal: stop.signal });
      await waitFor(async () => {
        const run = await rt.store.getRun(queued.runId);
        return run?.status === 'escalated' ? run : undefined;
      }, 'the orchestrator to wait for its child');
      const [child] = await rt.list({ parentRunId: queued.runId });
      // Cancelled from another process's point of view: only the store is shared.
      await rt.cancel(child!.id, { by: 'alice', reason: 'wrong specialist' });
      const done = await waitFor(async () => {
        const run = await rt.store.getRun(queued.runId);
        return run?.status === 'succeeded' ? run : undefined;
      }, 'the worker to take the parent up again');
      assert.deepEqual(done.output, { routed: 'elsewhere' });
      const call = (await rt.get(queued.runId))!.toolCalls[0]!;
      assert.match((call.result as { error: string }).error, /specialist asker cancelled/);
      stop.abort();
      await work.done;
    } finally {
      stop.abort();
      await rt.close();
    }
  });
});
