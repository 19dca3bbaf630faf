// A delegated child's result is capped like any tool's (docs/tools.md, docs/orchestration.md): over 256 KiB
// serialized, the parent's call result is `{ truncated: true, bytes, head }` with the first 256 KiB of the
// JSON; the child's own run keeps its whole output, and a result rule on `delegate.*` still judges the
// whole result. A real runtime on a SQLite store, scripted specialists.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/index.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';

const CAP = 256 * 1024;
const notes = 'n'.repeat(300 * 1024);

function tree(rules: unknown[] = []) {
  return writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['billing'],
      turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
      extra: { escalation: rules },
    },
    { name: 'billing', autonomy: 'full', input: TASK_INPUT, turns: [{ final: { amount: 900, notes } }] },
  ]);
}

describe("a delegated child's result over 256 KiB", () => {
  it('reaches the parent cut, with the truncation marker; the child keeps its whole output', async () => {
    const t = tree();
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const done = await rt.run(t.file('desk'), {});
      assert.equal(done.status, 'succeeded');
      const run = (await rt.get(done.runId))!;
      const call = run.toolCalls.find((c) => c.tool === 'delegate.billing')!;
      assert.equal(call.status, 'succeeded');
      const result = call.result as { truncated?: boolean; bytes?: number; head?: string };
      assert.equal(result.truncated, true, 'the same marker as a tool result over the cap');
      assert.equal(result.head?.length, CAP);
      const [child] = await rt.list({ parentRunId: done.runId });
      const whole = JSON.stringify({ runId: child!.id, output: { amount: 900, notes } });
      assert.equal(result.bytes, whole.length);
      assert.equal(result.head, whole.slice(0, CAP));
      // The child's own run is not cut.
      assert.deepEqual((await rt.get(child!.id))!.run.output, { amount: 900, notes });
    } finally {
      await rt.close();
    }
  });

  it('a result rule still judges the whole result, not the cut one', async () => {
    const t = tree([
      {
        category: 'money',
        reason: 'big refunds need a person',
        when: { result: { tool: 'delegate.billing', path: 'output.amount', gt: 500 } },
      },
    ]);
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const paused = await rt.run(t.file('desk'), {});
      assert.equal(paused.status, 'escalated');
      const run = (await rt.get(paused.runId))!;
      assert.equal(run.escalations[0]?.source, 'result_rule');
      assert.equal((run.toolCalls[0]!.result as { truncated?: boolean }).truncated, true);
    } finally {
      await rt.close();
    }
  });
});
