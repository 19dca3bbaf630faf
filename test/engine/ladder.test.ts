// The autonomy ladder end to end: a real role file, the scripted model, the SQLite store, real files.
// Every case checks the side effect (or its absence) from outside, in the workspace.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

const write = (path: string, content = 'hello') => ({ call: 'fs.write', args: { path, content } });
const done = { final: { summary: 'done' } };

describe('observe autonomy', () => {
  it('runs reads, denies a write (nothing written), tells the model why, and lets it finish', async () => {
    const r = role({
      autonomy: 'observe',
      turns: [{ call: 'fs.list', args: { path: '.' } }, write('a.txt'), done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(result.output, { summary: 'done' });
      assert.equal(r.exists('a.txt'), false);
      const snap = (await rt.get(result.runId))!;
      const decisions = snap.steps.filter((s) => s.kind === 'decision').map((s) => s.data.decision);
      assert.deepEqual(decisions, ['allow', 'deny']);
      const denied = snap.toolCalls.find((c) => c.tool === 'fs.write')!;
      assert.equal(denied.status, 'denied');
      assert.match(JSON.stringify(denied.result), /observe/);
    } finally {
      await rt.close();
    }
  });
});

describe('draft autonomy', () => {
  it('records a write as a draft, runs nothing, and pauses for approval', async () => {
    const r = role({
      autonomy: 'draft',
      turns: [{ call: 'fs.read', args: { path: 'missing.txt' } }, write('a.txt', 'drafted'), done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'awaiting_approval');
      assert.equal(result.pending.length, 1);
      assert.equal(r.exists('a.txt'), false);
      const inbox = await rt.inbox();
      assert.equal(inbox.approvals.length, 1);
      assert.deepEqual(
        inbox.approvals[0]!.calls.map((c) => [c.tool, c.args]),
        [['fs.write', { path: 'a.txt', content: 'drafted' }]],
      );
    } finally {
      await rt.close();
    }
  });

  it('approving runs exactly the drafted calls once and the run continues to its output', async () => {
    const r = role({
      autonomy: 'draft',
      tools: ['fs.write', 'ledger.append'],
      turns: [
        {
          calls: [
            { tool: 'fs.write', args: { path: 'a.txt', content: 'v1' } },
            { tool: 'ledger.append', args: { entry: 'e1' } },
          ],
        },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      assert.deepEqual(r.ledger(), []);
      const result = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(result.status, 'succeeded');
      assert.equal(r.read('a.txt'), 'v1');
      assert.deepEqual(r.ledger(), ['e1']);
      // A second approval of the same change set is refused and runs nothing again.
      await assert.rejects(rt.approve(paused.pending[0]!, { by: 'alice' }), { code: 'APPROVAL_NOT_PENDING' });
      assert.deepEqual(r.ledger(), ['e1']);
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.approvals[0]!.decidedBy, 'alice');
    } finally {
      await rt.close();
    }
  });

  it('rejecting runs nothing; the model sees the reason and the run goes on', async () => {
    const r = role({
      autonomy: 'draft',
      tools: ['fs.write', 'ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'e1' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const result = await rt.reject(paused.pending[0]!, { by: 'bob', reason: 'not this week' });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(result.runId))!;
      const call = snap.toolCalls[0]!;
      assert.equal(call.status, 'rejected');
      assert.deepEqual(call.result, { rejected: true, by: 'bob', reason: 'not this week' });
    } finally {
      await rt.close();
    }
  });

  it('refuses approvals from an agent identity', async () => {
    const r = role({ autonomy: 'draft', turns: [write('a.txt'), done] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      await assert.rejects(rt.approve(paused.pending[0]!, { by: 'agent:test-role' }), {
        code: 'ACTOR_INVALID',
      });
      await assert.rejects(rt.approve(paused.pending[0]!, { by: '  ' }), { code: 'ACTOR_INVALID' });
      assert.equal(r.exists('a.txt'), false);
    } finally {
      await rt.close();
    }
  });

  it('gives the model no way to approve: an approve tool call is denied as unknown', async () => {
    const r = role({ autonomy: 'draft', turns: [write('a.txt'), done] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      const r2 = role({
        autonomy: 'full',
        turns: [{ call: 'nightshift.approve', args: { id: paused.pending[0] } }, done],
      });
      const other = await rt.run(r2.file, {});
      assert.equal(other.status, 'succeeded');
      assert.equal((await rt.inbox()).approvals.length, 1);
      assert.equal(r.exists('a.txt'), false);
    } finally {
      await rt.close();
    }
  });
});

describe('sandbox autonomy', () => {
  it('runs a write inside the workspace and denies one that leaves it (nothing written outside)', async () => {
    const r = role({
      autonomy: 'sandbox',
      turns: [
        {
          calls: [
            { tool: 'fs.write', args: { path: 'in.txt', content: 'ok' } },
            { tool: 'fs.write', args: { path: '../out.txt', content: 'escape' } },
          ],
        },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.equal(r.read('in.txt'), 'ok');
      assert.equal(existsSync(join(r.dir, 'out.txt')), false);
      const snap = (await rt.get(result.runId))!;
      const out = snap.toolCalls.find((c) => (c.args as { path: string }).path === '../out.txt')!;
      assert.equal(out.decision, 'deny');
      assert.match(out.reason, /outside the role's scope/);
    } finally {
      await rt.close();
    }
  });

  it('denies a tool that declares no scope', async () => {
    const r = role({
      autonomy: 'sandbox',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'x' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
    } finally {
      await rt.close();
    }
  });
  it('drafts an unscoped tool marked approval: always (rule 7 before rule 9); approval runs it once', async () => {
    // decision 002 (2026-12-01): drafted, not denied, so a person still decides and nothing runs alone.
    const r = role({
      autonomy: 'sandbox',
      tools: ['payments.send', 'ledger.append'],
      turns: [
        {
          calls: [
            { tool: 'payments.send', args: { entry: 'inv-2', amount: 7 } },
            { tool: 'ledger.append', args: { entry: 'unscoped' } },
          ],
        },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'awaiting_approval');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(result.runId))!;
      const byTool = Object.fromEntries(snap.toolCalls.map((c) => [c.tool, c.status]));
      assert.equal(byTool['payments.send'], 'drafted');
      assert.equal(byTool['ledger.append'], 'denied');
      const finished = await rt.approve(result.pending[0]!, { by: 'carol' });
      assert.equal(finished.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['paid 7 inv-2']);
    } finally {
      await rt.close();
    }
  });
});

describe('full autonomy', () => {
  it("runs every tool in the role's list, and denies one not in it", async () => {
    const r = role({
      autonomy: 'full',
      tools: ['fs.write', 'ledger.append'],
      turns: [
        {
          calls: [
            { tool: 'ledger.append', args: { entry: 'x' } },
            { tool: 'fs.write', args: { path: 'a.txt', content: 'a' } },
            { tool: 'ledger.append_once', args: { entry: 'y' } },
          ],
        },
        done,
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['x']);
      assert.equal(r.read('a.txt'), 'a');
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.toolCalls.find((c) => c.tool === 'ledger.append_once')!.status, 'denied');
    } finally {
      await rt.close();
    }
  });

  it('still drafts a tool marked approval: always', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['payments.send'],
      turns: [{ call: 'payments.send', args: { entry: 'inv-1', amount: 5 } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'awaiting_approval');
      assert.deepEqual(r.ledger(), []);
      const done2 = await rt.approve(result.pending[0]!, { by: 'carol' });
      assert.equal(done2.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['paid 5 inv-1']);
    } finally {
      await rt.close();
    }
  });

  it('denies a call whose arguments fail the schema and tells the model what is wrong', async () => {
    const r = role({ autonomy: 'full', turns: [{ call: 'fs.write', args: { path: 'a.txt' } }, done] });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.equal(r.exists('a.txt'), false);
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'denied');
      assert.match(call.reason, /invalid arguments for fs.write: content/);
    } finally {
      await rt.close();
    }
  });
});
