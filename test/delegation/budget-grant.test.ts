// An orchestrator whose specialists' turns and cost, added when they are joined, took it past its budget by
// more than one allotment: answering its budget escalation grants one more allotment from where it stands,
// so the run goes on at once rather than escalating again with nothing done (through the real CLI).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';

interface Summary {
  status: string;
  steps: number;
  usage: { costUsd: number };
  escalations: { id: string; source: string; status: string; reason: string }[];
}

const turn = (usd: number) => ({ call: 'fs.read', args: { path: 'none.txt' }, usage: { costUsd: usd } });

describe('a budget escalation answered after an overshoot', () => {
  it('steps: the orchestrator goes on for another maxSteps from the turns it had used', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['helper'],
        extra: { budget: { maxSteps: 2 } },
        turns: [
          { call: 'delegate.helper', args: { task: 'look' } },
          { call: 'fs.read', args: { path: 'none.txt' } },
          { final: { done: true } },
        ],
      },
      {
        name: 'helper',
        autonomy: 'full',
        input: TASK_INPUT,
        turns: [turn(0), turn(0), turn(0), turn(0), { final: { seen: true } }],
      },
    ]);
    const data = ['--data-dir', tree.dataDir];
    const run = await runCli(['run', tree.file('desk'), '--json', ...data]);
    assert.equal(run.code, 3, run.stderr);
    const paused = json<Summary>(run);
    // 1 own turn + the helper's 5: 6 of 2.
    assert.equal(paused.steps, 6);
    const budget = paused.escalations.find((e) => e.source === 'budget' && e.status === 'pending')!;
    assert.match(budget.reason, /6 of 2 model steps/);
    const answered = await runCli(['answer', budget.id, 'go on', '--json', ...data]);
    const after = json<Summary>(answered);
    assert.equal(after.status, 'succeeded', answered.stdout);
    assert.equal(answered.code, 0);
    assert.equal(after.steps, 8);
  });

  it('cost: one turn far over maxCostUsd is followed by another allotment, not a second escalation', async () => {
    const tree = writeRoleTree([
      {
        name: 'spender',
        autonomy: 'full',
        extra: { budget: { maxCostUsd: 0.1 } },
        turns: [turn(0.35), turn(0.05), { final: { done: true } }],
      },
    ]);
    const data = ['--data-dir', tree.dataDir];
    const paused = json<Summary>(await runCli(['run', tree.file('spender'), '--json', ...data]));
    assert.equal(paused.status, 'escalated');
    const budget = paused.escalations.find((e) => e.source === 'budget')!;
    const after = json<Summary>(await runCli(['answer', budget.id, 'spend a bit more', '--json', ...data]));
    // 0.35 + 0.1 allowed: the next turn (0.05) is within it, the final one too.
    assert.equal(after.status, 'succeeded', JSON.stringify(after));
    assert.equal(after.escalations.filter((e) => e.source === 'budget').length, 1);
  });
});
