// Escalation: by the model, by a rule on a tool call, by a rule on the input, and by a budget overrun.
// Each pauses the run as `escalated`; an answer resumes it with the answer in the model's context.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMessages } from '../../src/engine/conversation.js';
import { RunState } from '../../src/engine/state.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

async function messagesOf(rt: Runtime, runId: string) {
  return buildMessages(new RunState((await rt.get(runId))!));
}

describe('escalation by the model', () => {
  it('pauses as escalated with category and reason; the answer resumes the run as the call result', async () => {
    const r = role({
      autonomy: 'full',
      turns: [
        { escalate: { category: 'legal', reason: 'customer threatens to sue', missing: 'legal guidance' } },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.escalations.length, 1);
      const e = paused.escalations[0]!;
      assert.equal(e.category, 'legal');
      assert.equal(e.source, 'model');
      assert.equal(e.reason, 'customer threatens to sue');
      const inbox = await rt.inbox();
      assert.equal(inbox.escalations[0]!.missing, 'legal guidance');

      const result = await rt.answer(e.id, 'Offer a full refund, no admission of fault', { by: 'lee' });
      assert.equal(result.status, 'succeeded');
      const tool = (await messagesOf(rt, result.runId)).find((m) => m.role === 'tool');
      assert.ok(tool && tool.role === 'tool');
      assert.match(tool.content, /Offer a full refund/);
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.escalations[0]!.answeredBy, 'lee');
      assert.ok(
        (await rt.store.listAudit({ runId: result.runId })).some(
          (a) => a.action === 'escalation.answered' && a.actor === 'lee',
        ),
      );
    } finally {
      await rt.close();
    }
  });

  it('refuses a second answer to the same escalation', async () => {
    const r = role({
      autonomy: 'full',
      turns: [{ escalate: { category: 'security', reason: 'leaked key?' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      await rt.answer(paused.escalations[0]!.id, 'rotated', { by: 'sec' });
      await assert.rejects(rt.answer(paused.escalations[0]!.id, 'again', { by: 'sec' }), {
        code: 'ESCALATION_NOT_PENDING',
      });
    } finally {
      await rt.close();
    }
  });
});

describe('escalation by a tool-call rule', () => {
  const rules = [
    {
      category: 'money',
      reason: 'big refunds need a manager',
      when: { tool: 'ledger.append', arg: 'amount', gt: 100 },
    },
  ];

  it('holds a matching call unexecuted; an answer without --allow-call keeps it unexecuted', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: rules,
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 150 } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.escalations[0]!.category, 'money');
      assert.equal(paused.escalations[0]!.source, 'tool_rule');
      assert.deepEqual(r.ledger(), []);
      const result = await rt.answer(paused.escalations[0]!.id, 'No, offer store credit', { by: 'mgr' });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'answered');
      assert.match(JSON.stringify(call.result), /store credit/);
    } finally {
      await rt.close();
    }
  });

  it('runs the held call exactly once when the answer allows it', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: rules,
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 150 } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const result = await rt.answer(paused.escalations[0]!.id, 'approved by finance', {
        by: 'mgr',
        allowCall: true,
      });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund']);
    } finally {
      await rt.close();
    }
  });

  it('lets a call under the threshold run without escalating', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: rules,
      turns: [{ call: 'ledger.append', args: { entry: 'small', amount: 20 } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.deepEqual(r.ledger(), ['small']);
    } finally {
      await rt.close();
    }
  });
});

describe('escalation by an input rule', () => {
  it('escalates before the first model call and resumes with the answer as context', async () => {
    const r = role({
      autonomy: 'full',
      escalation: [{ category: 'legal', when: { input: { contains: ['lawsuit'] } } }],
      turns: [done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, { body: 'I will file a LAWSUIT' });
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.steps, 0);
      assert.equal(paused.escalations[0]!.source, 'input_rule');
      const result = await rt.answer(paused.escalations[0]!.id, 'Legal says: reply politely, no refund', {
        by: 'legal',
      });
      assert.equal(result.status, 'succeeded');
      const msgs = await messagesOf(rt, result.runId);
      assert.ok(msgs.some((m) => m.role === 'user' && m.content.includes('Legal says')));
    } finally {
      await rt.close();
    }
  });

  it('pauses once at start for a rule the input settles; answered, the run goes on without a second pause for it', async () => {
    // Lawsuits, and refunds over 1000, go to legal. The input mentions a lawsuit: that alone makes the rule
    // true, so it is raised before the first model call; the small refund after the answer is not held
    // again for it (before decision 076 the rule was checked only at calls, where its input part made it
    // hold every call of the run).
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [
        {
          category: 'legal',
          when: {
            any: [{ input: { contains: ['lawsuit'] } }, { tool: 'ledger.append', arg: 'amount', gt: 1000 }],
          },
        },
      ],
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 20 } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, { body: 'I will file a LAWSUIT' });
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.steps, 0);
      assert.equal(paused.escalations.length, 1);
      assert.equal(paused.escalations[0]!.source, 'input_rule');
      assert.match(paused.escalations[0]!.reason, /escalation rule 0 \(legal\) matched the input/);
      const result = await rt.answer(paused.escalations[0]!.id, 'Legal says: refund the 20', { by: 'legal' });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund']);
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.escalations.length, 1);
      assert.equal(snap.toolCalls[0]!.status, 'succeeded');
    } finally {
      await rt.close();
    }
  });

  it('does not escalate an input that matches no rule', async () => {
    const r = role({
      autonomy: 'full',
      escalation: [{ category: 'legal', when: { input: { contains: ['lawsuit'] } } }],
      turns: [done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, { body: 'hello' })).status, 'succeeded');
    } finally {
      await rt.close();
    }
  });
});

describe('budgets', () => {
  const loop = Array.from({ length: 6 }, (_, i) => ({
    call: 'fs.list',
    args: { path: '.' },
    usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 * (i + 1) },
  }));

  it('escalates when max steps is reached, before the next model call; an answer grants another allotment', async () => {
    const r = role({ autonomy: 'full', budget: { maxSteps: 2 }, turns: [...loop.slice(0, 3), done] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.equal(paused.steps, 2);
      assert.equal(paused.escalations[0]!.category, 'budget');
      const result = await rt.answer(paused.escalations[0]!.id, 'go on', { by: 'ops' });
      assert.equal(result.status, 'succeeded');
      assert.equal(result.steps, 4);
    } finally {
      await rt.close();
    }
  });

  it('fails with BUDGET_EXCEEDED when the role says so', async () => {
    const r = role({
      autonomy: 'full',
      budget: { maxCostUsd: 0.025, onExceed: 'fail' },
      turns: [...loop, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'BUDGET_EXCEEDED');
      assert.equal(result.steps, 2);
      assert.ok(Math.abs(result.usage.costUsd - 0.03) < 1e-9);
    } finally {
      await rt.close();
    }
  });
});

describe('final output', () => {
  const output = { type: 'object', required: ['summary'], properties: { summary: { type: 'string' } } };

  it('gives the model one repair turn on a schema miss', async () => {
    const r = role({ autonomy: 'full', output, turns: [{ final: { sumary: 'typo' } }, done] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(result.output, { summary: 'done' });
      const msgs = await messagesOf(rt, result.runId);
      assert.ok(
        msgs.some((m) => m.role === 'user' && m.content.includes("must have required property 'summary'")),
      );
    } finally {
      await rt.close();
    }
  });

  it('fails with the validation errors after a second miss', async () => {
    const r = role({
      autonomy: 'full',
      output,
      turns: [{ final: { sumary: 1 } }, { text: 'not json at all' }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'OUTPUT_INVALID');
      assert.match(result.error!.message, /not JSON/);
    } finally {
      await rt.close();
    }
  });
});
