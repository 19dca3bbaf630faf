// The decision tools act once: a re-run (the manager's process died between the decision's commit and the
// tool's result) finds its own decision and reports it; another decider's answer is not overwritten.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { decisionTools } from '../../src/managers/decision-tools.js';
import { createRuntime } from '../../src/runtime.js';
import { testRole, toolContext } from '../support/role.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('decision tools', () => {
  it('a repeated allow reports the decision already made, and the held call is released once', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }],
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, { final: { ok: true } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const escalationId = paused.escalations[0]!.id;
      const d = {
        store: rt.store,
        clock: systemClock,
        escalationId,
        actor: 'manager:lead/run_mgr_x',
        budget: undefined,
      };
      const allow = decisionTools(d).find((t) => t.name === 'escalation.allow')!;
      const ctx = toolContext(testRole());
      const first = (await allow.run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(first.decided, 'allow');
      assert.equal(first.status, 'queued');
      const second = (await allow.run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(second.repeated, true);
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.steps.filter((s) => s.kind === 'escalation_answered').length, 1);
      assert.equal(snap.toolCalls[0]!.status, 'pending');

      // Another manager (or a person) cannot decide it again.
      const other = decisionTools({ ...d, actor: 'manager:lead/run_mgr_y' }).find(
        (t) => t.name === 'escalation.deny',
      )!;
      await assert.rejects(other.run({ reason: 'no' }, ctx), { code: 'ESCALATION_NOT_PENDING' });
      await assert.rejects(rt.answer(escalationId, 'no', { by: 'dana' }), { code: 'ESCALATION_NOT_PENDING' });

      const result = await rt.resume(paused.runId);
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund']);
    } finally {
      await rt.close();
    }
  });

  it('an allow and a deny in one turn: the deny is refused, not reported as the decision made', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }],
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, { final: { ok: true } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const escalationId = paused.escalations[0]!.id;
      const tools = decisionTools({
        store: rt.store,
        clock: systemClock,
        escalationId,
        actor: 'manager:lead/run_mgr_x',
        budget: undefined,
      });
      const tool = (name: string) => tools.find((t) => t.name === name)!;
      const ctx = toolContext(testRole());
      const allowed = (await tool('escalation.allow').run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(allowed.decided, 'allow');
      // The same manager's deny (or answer) after its own allow: that allow stands and the call will run,
      // so the manager must not hear that it denied.
      await assert.rejects(tool('escalation.deny').run({ reason: 'no' }, ctx), {
        code: 'ESCALATION_NOT_PENDING',
        message: /\(allow: ok\); this deny was not made/,
      });
      await assert.rejects(tool('escalation.answer').run({ text: 'ok' }, ctx), {
        code: 'ESCALATION_NOT_PENDING',
      });
      // An allow with another note is not this decision either; the same allow again is.
      await assert.rejects(tool('escalation.allow').run({ note: 'other' }, ctx), {
        code: 'ESCALATION_NOT_PENDING',
      });
      const again = (await tool('escalation.allow').run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(again.repeated, true);

      const result = await rt.resume(paused.runId);
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund']);
    } finally {
      await rt.close();
    }
  });

  it('a repeated deny reports the deny it made', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }],
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, { final: { ok: true } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const tools = decisionTools({
        store: rt.store,
        clock: systemClock,
        escalationId: paused.escalations[0]!.id,
        actor: 'manager:lead/run_mgr_x',
        budget: undefined,
      });
      const deny = tools.find((t) => t.name === 'escalation.deny')!;
      const ctx = toolContext(testRole());
      await deny.run({ reason: ' too much ' }, ctx);
      const again = (await deny.run({ reason: ' too much ' }, ctx)) as Record<string, unknown>;
      assert.deepEqual([again.decided, again.repeated], ['deny', true]);
      const allow = tools.find((t) => t.name === 'escalation.allow')!;
      await assert.rejects(allow.run({ note: 'too much' }, ctx), { code: 'ESCALATION_NOT_PENDING' });
      const result = await rt.resume(paused.runId);
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
    } finally {
      await rt.close();
    }
  });

  it('people may not sign as a manager', async () => {
    const r = role({
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'sue' } }, { final: {} }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      await assert.rejects(rt.answer(paused.escalations[0]!.id, 'fine', { by: 'manager:lead/run_x' }), {
        code: 'ACTOR_INVALID',
      });
    } finally {
      await rt.close();
    }
  });

  it("refuses a run given a manager run's idempotency key: only the escalation path makes those", async () => {
    const r = role({ autonomy: 'full', turns: [{ final: {} }] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      await assert.rejects(rt.run(r.file, {}, { idempotencyKey: 'manager:esc_123' }), {
        code: 'USAGE',
        message: /reserved/,
      });
      assert.deepEqual(await rt.list(), []);
    } finally {
      await rt.close();
    }
  });
});
