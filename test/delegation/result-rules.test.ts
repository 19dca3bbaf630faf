// Escalation rules on results apply to `delegate.*` as to any tool (docs/orchestration.md,
// docs/escalation-rules.md): a child's result that matches pauses the orchestrator in the commit that
// joins it, before its model sees the result; answering goes on. A real runtime on a SQLite store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/index.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';

function tree(amount: number) {
  return writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['billing'],
      turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
      extra: {
        escalation: [
          {
            category: 'money',
            reason: 'big refunds need a person',
            when: { result: { tool: 'delegate.billing', path: 'output.amount', gt: 500 } },
          },
        ],
      },
    },
    { name: 'billing', autonomy: 'full', input: TASK_INPUT, turns: [{ final: { amount } }] },
  ]);
}

describe('a result rule on a delegation', () => {
  it("pauses the orchestrator on a child's matching result before its model sees it; an answer goes on", async () => {
    const t = tree(900);
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const paused = await rt.run(t.file('desk'), {});
      assert.equal(paused.status, 'escalated');
      const run = (await rt.get(paused.runId))!;
      const [escalation] = run.escalations;
      assert.equal(escalation?.source, 'result_rule');
      assert.equal(escalation?.category, 'money');
      assert.equal(escalation?.callKey, run.toolCalls[0]!.key);
      // The child ended and its result is recorded, but the orchestrator's model was not asked again.
      assert.equal(run.toolCalls[0]!.status, 'succeeded');
      assert.equal(run.steps.filter((s) => s.kind === 'model_turn').length, 1);
      const after = await rt.answer(escalation!.id, 'refund approved', { by: 'alice' });
      assert.equal(after.status, 'succeeded');
      assert.equal((await rt.get(paused.runId))!.steps.filter((s) => s.kind === 'model_turn').length, 2);
    } finally {
      await rt.close();
    }
  });

  it('lets a result that does not match through', async () => {
    const t = tree(100);
    const rt = await createRuntime({ dataDir: t.dataDir });
    try {
      const run = await rt.run(t.file('desk'), {});
      assert.equal(run.status, 'succeeded');
      assert.equal((await rt.get(run.runId))!.escalations.length, 0);
    } finally {
      await rt.close();
    }
  });
});
