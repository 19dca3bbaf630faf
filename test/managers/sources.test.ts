// Every kind of escalation of a role with a manager goes to the manager first: an input rule, a budget
// overrun, and (in crash.test.ts, worker.test.ts) tool rules and the model's own escalate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { writeManagedRoles } from '../support/managed-roles.js';

const done = { final: { summary: 'done' } };

describe('escalations of every source go to the manager', () => {
  it('an input rule: the manager answers before the first model turn', async () => {
    const r = writeManagedRoles({
      clerkTurns: [done],
      leadTurns: [
        { call: 'escalation.answer', args: { text: 'a lawyer is copied; go ahead politely' } },
        done,
      ],
      clerkExtra: {
        escalation: [{ category: 'legal', when: { input: { contains: ['lawsuit'] } } }],
      },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.clerk, { ticket: 'I will file a lawsuit' });
      assert.equal(result.status, 'succeeded');
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.escalations[0]!.source, 'input_rule');
      assert.match(snap.escalations[0]!.answeredBy!, /^manager:lead\//);
      const mgr = (await rt.list({ role: 'lead' }))[0]!;
      const input = mgr.input as { escalation: { source: string }; run: { input: unknown } };
      assert.equal(input.escalation.source, 'input_rule');
      assert.deepEqual(input.run.input, { ticket: 'I will file a lawsuit' });
    } finally {
      await rt.close();
    }
  });

  it('a budget overrun: an answer grants one more allotment, a deny ends the run', async () => {
    const turns = [{ call: 'ledger.append', args: { entry: 'small', amount: 5 } }, done];
    const granted = writeManagedRoles({
      clerkTurns: turns,
      leadTurns: [{ call: 'escalation.answer', args: { text: 'take one more step' } }, done],
      clerkExtra: { budget: { maxSteps: 1 } },
    });
    const rt = await createRuntime({ dataDir: granted.dataDir });
    try {
      const result = await rt.run(granted.clerk, {});
      assert.equal(result.status, 'succeeded');
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.escalations[0]!.source, 'budget');
      assert.equal(snap.run.grant.steps, 1);
    } finally {
      await rt.close();
    }

    const denied = writeManagedRoles({
      clerkTurns: turns,
      leadTurns: [{ call: 'escalation.deny', args: { reason: 'this ticket is not worth more' } }, done],
      clerkExtra: { budget: { maxSteps: 1 } },
    });
    const rt2 = await createRuntime({ dataDir: denied.dataDir });
    try {
      const result = await rt2.run(denied.clerk, {});
      assert.equal(result.status, 'failed');
      const snap = (await rt2.get(result.runId))!;
      assert.equal(snap.run.error?.code, 'BUDGET_EXCEEDED');
      assert.match(snap.run.error!.message, /not worth more/);
    } finally {
      await rt2.close();
    }
  });

  it('a held result: the manager allows it (the model sees it) without authority over the call that ran', async () => {
    const r = writeManagedRoles({
      clerkTurns: [{ call: 'ledger.append', args: { entry: 'sync: data loss on shard 3' } }, done],
      // A lead with no tools at all: it could not make the call, which has run already anyway.
      leadTurns: [{ call: 'escalation.allow', args: { note: 'known incident; carry on' } }, done],
      leadAutonomy: 'observe',
      leadExtra: { tools: [], escalation: [] },
      clerkExtra: {
        escalation: [
          {
            category: 'security',
            when: { result: { tool: 'ledger.append', path: 'appended', contains: 'data loss' } },
          },
        ],
      },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded', JSON.stringify(result));
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.escalations[0]!.source, 'result_rule');
      assert.match(snap.escalations[0]!.answeredBy!, /^manager:lead\//);
      assert.equal(snap.escalations.length, 1, 'nothing went on to people');
    } finally {
      await rt.close();
    }
  });

  it("the manager's context carries the held call with secret values scrubbed, and what the run did", async () => {
    const r = writeManagedRoles({
      clerkTurns: [
        { call: 'ledger.append', args: { entry: 'small', amount: 5 } },
        { call: 'ledger.append', args: { entry: 'refund with s3cr3t-value', amount: 250 } },
        done,
      ],
      leadTurns: [{ call: 'escalation.deny', args: { reason: 'no' } }, done],
      clerkExtra: { secrets: ['REFUND_TOKEN'] },
    });
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, REFUND_TOKEN: 's3cr3t-value' },
    });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      const mgr = (await rt.list({ role: 'lead' }))[0]!;
      const text = JSON.stringify(mgr.input);
      assert.doesNotMatch(text, /s3cr3t-value/);
      const input = mgr.input as { heldCall: { tool: string }; soFar: string[] };
      assert.equal(input.heldCall.tool, 'ledger.append');
      assert.match(input.soFar[0]!, /ledger\.append .*small.* → succeeded/);
      assert.deepEqual(r.ledger(), ['small']);
    } finally {
      await rt.close();
    }
  });

  it('a manager that cannot decide (a continuous role) sends the matter to people at once', async () => {
    const r = writeManagedRoles({
      clerkTurns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, done],
      leadTurns: [done],
      leadExtra: { mode: 'continuous' },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'escalated');
      const hops = (await rt.get(paused.runId))!.steps.filter((s) => s.kind === 'escalation_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['humans'],
      );
      assert.match(String(hops[0]!.data.why), /must be a job role/);
      assert.deepEqual(await rt.list({ role: 'lead' }), []);
    } finally {
      await rt.close();
    }
  });
});
