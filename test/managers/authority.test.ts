// A manager agent decides only within its own authority: `escalation.allow` is judged as if the manager's
// role made the held call itself. A clerk whose refund rule stops at 100 escalates a refund of 250 to a
// lead whose rule stops at 1,000: the lead may allow it; a refund of 5,000 it may not, and the matter goes
// up to people.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { writeManagedRoles } from '../support/managed-roles.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });

describe('a manager allowing a held call', () => {
  it('runs a refund of 250 once when the lead (limit 1,000) allows it; the run finishes', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 250']);
      const snap = (await rt.get(result.runId))!;
      const e = snap.escalations[0]!;
      assert.equal(e.status, 'answered');
      assert.match(e.answeredBy!, /^manager:lead\/run_mgr_/);
      assert.equal(e.allowCall, true);
      const hops = snap.steps.filter((s) => s.kind === 'escalation_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager'],
      );
      const answered = snap.steps.find((s) => s.kind === 'escalation_answered')!;
      assert.equal(answered.data.decision, 'allow');
      assert.equal(answered.data.by, e.answeredBy);
      const audit = await rt.store.listAudit({ runId: result.runId });
      assert.ok(audit.some((a) => a.action === 'escalation.answered' && a.actor === e.answeredBy));
      assert.ok(audit.some((a) => a.action === 'escalation.passed' && a.actor === 'policy'));
      // The manager run finished after deciding.
      const mgr = (await rt.get(hops[0]!.data.managerRunId as string))!;
      assert.equal(mgr.run.status, 'succeeded');
      assert.equal(mgr.run.role, 'lead');
    } finally {
      await rt.close();
    }
  });

  it('refuses the lead a refund of 5,000: the matter goes up to people, nothing runs until one allows it', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(5000), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'looks fine to me' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'escalated');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(paused.runId))!;
      const hops = snap.steps.filter((s) => s.kind === 'escalation_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager', 'humans'],
      );
      assert.match(String(hops[1]!.data.why), /beyond the manager's authority/);
      assert.match(String(hops[1]!.data.by), /^manager:lead\//);
      // The manager run was closed; the escalation waits for a person.
      const mgr = (await rt.get(hops[0]!.data.managerRunId as string))!;
      assert.equal(mgr.run.status, 'cancelled');
      assert.equal(mgr.toolCalls[0]!.status, 'rejected');
      const inbox = await rt.inbox();
      assert.deepEqual(
        inbox.escalations.map((e) => e.id),
        [snap.escalations[0]!.id],
      );
      const result = await rt.answer(snap.escalations[0]!.id, 'approved by finance', {
        by: 'dana',
        allowCall: true,
      });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 5000']);
    } finally {
      await rt.close();
    }
  });

  it('a lead whose role lacks the tool cannot allow it (denied), and may still deny the call', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [
        { call: 'escalation.allow', args: { note: 'sure' } },
        { call: 'escalation.deny', args: { reason: 'offer store credit instead' } },
        done,
      ],
      leadExtra: { tools: [], escalation: [] },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(result.runId))!;
      const call = snap.toolCalls[0]!;
      assert.equal(call.status, 'denied');
      assert.match(JSON.stringify(call.result), /store credit/);
      const mgrId = snap.steps.find((s) => s.kind === 'escalation_hop')!.data.managerRunId as string;
      const mgr = (await rt.get(mgrId))!;
      const allow = mgr.toolCalls.find((c) => c.tool === 'escalation.allow')!;
      assert.equal(allow.status, 'denied');
      assert.match(JSON.stringify(allow.result), /not in this role's tools/);
    } finally {
      await rt.close();
    }
  });
});

describe("a manager's answer and its own escalate", () => {
  it('an answer continues the escalated run with it; the held call does not run', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.answer', args: { text: 'refund 100 now, the rest next week' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'answered');
      assert.match(JSON.stringify(call.result), /rest next week/);
    } finally {
      await rt.close();
    }
  });

  it("the manager's escalate passes the matter to people, signed by the manager", async () => {
    const r = writeManagedRoles({
      clerkTurns: [{ escalate: { category: 'legal', reason: 'customer threatens to sue' } }, done],
      leadTurns: [{ escalate: { category: 'legal', reason: 'legal must decide this' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'escalated');
      const snap = (await rt.get(paused.runId))!;
      const up = snap.steps.filter((s) => s.kind === 'escalation_hop').at(-1)!;
      assert.equal(up.data.to, 'humans');
      assert.match(String(up.data.why), /legal must decide this/);
      const inbox = await rt.inbox();
      assert.equal(inbox.escalations.length, 1);
      const result = await rt.answer(inbox.escalations[0]!.id, 'settle', { by: 'lee' });
      assert.equal(result.status, 'succeeded');
    } finally {
      await rt.close();
    }
  });
});
