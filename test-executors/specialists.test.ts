// Specialists on an executor: an orchestrator (scripted model) delegating to a specialist run by the real
// Claude Code against the local fake Anthropic API. The delegation is an ordinary child run: its output is
// schema-checked into the parent's result, it acts at no more than the parent's rung, the parent's budget
// bounds its session, and its drafts and escalations wait in the inbox with the chain.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { RunRecord } from '../src/store/types.js';
import { type RoleSketch, TASK_INPUT, writeRoleTree } from '../test/support/delegation.js';
import type { FakeAnswer, FakeRequest, FakeServer } from '../test/support/fake-anthropic.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';

const OUTPUT = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };

describe('a specialist on claude-code, delegated to by a scripted orchestrator', () => {
  let fake: FakeServer;
  /** The specialist's final answer; a test may make it break the output schema. */
  let final = '{"answer":"done"}';
  let workspace = '';
  const runtimes: Runtime[] = [];

  // The specialist's session: read notes.txt, write out.txt, answer.
  const answer = (request: FakeRequest): FakeAnswer => {
    const turn = fake.read(request);
    if (!turn.toolNames.includes('Read')) return { text: 'ok' };
    const results = turn.toolResults.length;
    if (results === 0)
      return { calls: [{ name: 'Read', input: { file_path: join(workspace, 'notes.txt') } }] };
    if (results === 1)
      return {
        calls: [{ name: 'Write', input: { file_path: join(workspace, 'out.txt'), content: 'by claude' } }],
        usage: { input: 400, output: 30 },
      };
    return { text: final, usage: { input: 500, output: 12 } };
  };
  before(async () => {
    fake = await startFakeAnthropic({ validate: false });
    fake.enqueue(...Array.from({ length: 300 }, () => answer));
  });
  after(async () => {
    for (const rt of runtimes) await rt.close();
    await fake.close();
  });

  /** desk (scripted) → worker (claude-code), with the rungs and extras given. */
  async function tree(o: {
    desk: RoleSketch['autonomy'];
    worker: RoleSketch['autonomy'];
    deskExtra?: Record<string, unknown>;
    workerExtra?: Record<string, unknown>;
  }) {
    final = '{"answer":"done"}';
    const t = writeRoleTree([
      {
        name: 'desk',
        autonomy: o.desk,
        specialists: ['worker'],
        turns: [{ call: 'delegate.worker', args: { task: 'T-1' } }, { final: { done: true } }],
        ...(o.deskExtra ? { extra: o.deskExtra } : {}),
      },
      {
        name: 'worker',
        autonomy: o.worker,
        tools: ['fs.read', 'fs.write'],
        input: TASK_INPUT,
        output: OUTPUT,
        turns: [],
        extra: { model: 'claude-code:claude-sonnet-4-5', ...o.workerExtra },
      },
    ]);
    workspace = t.workspace;
    writeFileSync(join(t.workspace, 'notes.txt'), 'write out.txt\n');
    const rt = await createRuntime({
      dataDir: t.dataDir,
      env: { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
    });
    runtimes.push(rt);
    return { t, rt };
  }

  const childOf = async (rt: Runtime, runId: string): Promise<RunRecord> =>
    (await rt.list({ parentRunId: runId }))[0]!;

  it("joins the session's validated output; acts at the parent's rung; its cost counts for the parent", async () => {
    const { t, rt } = await tree({ desk: 'observe', worker: 'full' });
    const result = await rt.run(t.file('desk'), {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(existsSync(join(t.workspace, 'out.txt')), false, 'the observe cap let nothing be written');
    const parent = (await rt.get(result.runId))!;
    const child = await childOf(rt, result.runId);
    assert.deepEqual(parent.toolCalls[0]!.result, { runId: child.id, output: { answer: 'done' } });
    assert.equal(child.autonomyCap, 'observe');
    const childSteps = (await rt.get(child.id))!.steps;
    const decisions = childSteps
      .filter((s) => s.kind === 'decision')
      .map((s) => `${s.data.tool} ${s.data.decision}`);
    assert.ok(decisions.includes('fs.write deny'), decisions.join('\n'));
    // The child's turns and cost are the parent's too.
    assert.ok(child.turns >= 1 && child.usage.costUsd > 0, JSON.stringify(child.usage));
    assert.equal(parent.run.turns, 2 + child.turns);
    assert.ok(parent.run.usage.costUsd >= child.usage.costUsd);
  });

  it("is bounded by the parent's budget: a session gets no more turns than the parent has left", async () => {
    // desk may take 2 model turns; its first asks for the delegation, so the session may take 1.
    const { t, rt } = await tree({ desk: 'full', worker: 'full', deskExtra: { budget: { maxSteps: 2 } } });
    const result = await rt.run(t.file('desk'), {});
    const child = await childOf(rt, result.runId);
    assert.equal(child.status, 'failed');
    assert.equal(child.error?.code, 'BUDGET_EXCEEDED', JSON.stringify(child.error));
    assert.equal(existsSync(join(t.workspace, 'out.txt')), false, 'the session stopped before writing');
    const call = (await rt.get(result.runId))!.toolCalls[0]!;
    assert.equal(call.isError, true);
    assert.equal((call.result as { code: string }).code, 'BUDGET_EXCEEDED');
    // And the parent's own budget, now spent with the child's turn, stops the parent.
    assert.equal(result.status, 'escalated', JSON.stringify(result));
  });

  it("a session's answer that fails the output schema is a tool error for the parent", async () => {
    const { t, rt } = await tree({ desk: 'full', worker: 'observe' });
    final = 'no JSON here';
    const result = await rt.run(t.file('desk'), {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const call = (await rt.get(result.runId))!.toolCalls[0]!;
    assert.equal(call.isError, true);
    assert.equal((call.result as { code: string }).code, 'OUTPUT_INVALID');
  });

  it('a draft waits in the inbox with the chain; approving it continues the child, then the parent', async () => {
    const { t, rt } = await tree({ desk: 'full', worker: 'draft' });
    const paused = await rt.run(t.file('desk'), {});
    assert.equal(paused.status, 'awaiting_approval', JSON.stringify(paused.error));
    assert.equal(existsSync(join(t.workspace, 'out.txt')), false);
    const inbox = await rt.inbox();
    const approval = inbox.approvals[0]!;
    assert.deepEqual(
      approval.calls.map((c) => [c.tool, c.args]),
      [['fs.write', { path: 'out.txt', content: 'by claude' }]],
    );
    assert.deepEqual(
      inbox.chains[approval.runId]!.map((l) => l.role),
      ['desk', 'worker'],
    );
    const done = await rt.approve(approval.id, { by: 'alice' });
    assert.equal(done.runId, paused.runId, 'approve reports the orchestrator');
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(readFileSync(join(t.workspace, 'out.txt'), 'utf8'), 'by claude');
    assert.deepEqual(done.output, { done: true });
  });

  it('a call its escalation rule holds waits in the inbox with the chain', async () => {
    const { t, rt } = await tree({
      desk: 'full',
      worker: 'full',
      workerExtra: {
        escalation: [
          {
            category: 'high_impact',
            reason: 'writes need a look',
            when: { tool: 'fs.write', arg: 'path', eq: 'out.txt' },
          },
        ],
      },
    });
    const paused = await rt.run(t.file('desk'), {});
    assert.equal(paused.status, 'escalated', JSON.stringify(paused.error));
    assert.equal(existsSync(join(t.workspace, 'out.txt')), false);
    const inbox = await rt.inbox();
    const escalation = inbox.escalations[0]!;
    assert.equal(escalation.category, 'high_impact');
    assert.deepEqual(
      inbox.chains[escalation.runId]!.map((l) => l.role),
      ['desk', 'worker'],
    );
    const child = await childOf(rt, paused.runId);
    assert.equal(escalation.runId, child.id);
  });
});
