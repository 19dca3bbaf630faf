// budget.maxSeconds holds during tool calls, not only between model turns: a turn of slow commands is
// stopped when the time runs out (the command in flight is killed), the calls after it never start, and
// the run fails or escalates as `onExceed` says. Real sandboxed commands (`sleep` under bubblewrap).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { writeTestRole } from '../support/roles.js';

const BUDGET_SECONDS = 2;
const sleep3 = { tool: 'shell.exec', args: { command: 'sleep', args: ['3'] } };

async function slowTurn(onExceed: 'fail' | 'escalate') {
  const r = writeTestRole({
    autonomy: 'full',
    tools: ['shell.exec'],
    ledgerTools: false,
    turns: [{ calls: [sleep3, sleep3, sleep3] }, { final: {} }],
    budget: { maxSeconds: BUDGET_SECONDS, onExceed },
    extra: { scope: { commands: ['sleep'] } },
  });
  const rt = await createRuntime({ dataDir: r.dataDir });
  const started = Date.now();
  const result = await rt.run(r.file, {});
  const elapsedMs = Date.now() - started;
  process.stdout.write(
    `# budget.maxSeconds ${BUDGET_SECONDS} (onExceed: ${onExceed}): three 3 s commands stopped after ${elapsedMs} ms\n`,
  );
  const snapshot = (await rt.get(result.runId))!;
  return { r, rt, result, elapsedMs, snapshot };
}

describe('the time budget during tool calls', () => {
  it('stops the command in flight at budget.maxSeconds and starts none of the later ones (onExceed: fail)', async () => {
    const { r, rt, result, elapsedMs, snapshot } = await slowTurn('fail');
    try {
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'BUDGET_EXCEEDED');
      // Three 3 s commands would take 9 s; the bound is generous for a loaded machine.
      assert.ok(elapsedMs < (BUDGET_SECONDS + 3) * 1000, `the run stopped after ${elapsedMs} ms`);
      const calls = snapshot.toolCalls;
      assert.deepEqual(
        calls.map((c) => c.status),
        ['failed', 'pending', 'pending'],
      );
      assert.equal((calls[0]!.result as { code?: string }).code, 'BUDGET_EXCEEDED');
      assert.match((calls[0]!.result as { error: string }).error, /may or may not have taken effect/);
      assert.equal(
        snapshot.steps.filter((s) => s.kind === 'tool_started').length,
        1,
        'the later calls never started',
      );
      const finished = snapshot.steps.find((s) => s.kind === 'tool_finished');
      assert.equal(finished?.data.stopped, 'budget');
    } finally {
      await rt.close();
      r.cleanup();
    }
  });

  it('escalates the same way with onExceed: escalate, leaving the later calls pending (not an unknown outcome)', async () => {
    const { r, rt, result, elapsedMs, snapshot } = await slowTurn('escalate');
    try {
      assert.equal(result.status, 'escalated');
      assert.ok(elapsedMs < (BUDGET_SECONDS + 3) * 1000, `the run stopped after ${elapsedMs} ms`);
      assert.deepEqual(
        result.escalations.map((e) => [e.source, e.status]),
        [['budget', 'pending']],
      );
      assert.deepEqual(
        snapshot.toolCalls.map((c) => c.status),
        ['failed', 'pending', 'pending'],
      );
      assert.equal(snapshot.steps.filter((s) => s.kind === 'tool_started').length, 1);
    } finally {
      await rt.close();
      r.cleanup();
    }
  });
});
