// Orchestrator + specialists, through the library runtime on a real SQLite store: delegations as child
// runs joined into the parent's output, the authority cap, the shared budget, a specialist's failed output
// as a tool error, its draft in the inbox with the chain, cancel reaching the children, the fan-out bound.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { childRunId } from '../../src/delegation/children.js';
import { createRuntime, type Runtime } from '../../src/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { type RoleSketch, TASK_INPUT, writeRoleTree } from '../support/delegation.js';

const OUTPUT = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };

async function open(dataDir: string): Promise<Runtime> {
  return createRuntime({ dataDir });
}

async function childrenOf(rt: Runtime, runId: string): Promise<RunRecord[]> {
  return rt.list({ parentRunId: runId, limit: 100 });
}

function specialist(name: string, answer: string, extra: Partial<RoleSketch> = {}): RoleSketch {
  return {
    name,
    autonomy: 'full',
    input: TASK_INPUT,
    output: OUTPUT,
    turns: [{ final: { answer }, usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } }],
    ...extra,
  };
}

describe('delegation', () => {
  it('runs two specialists in one turn concurrently and joins their outputs into the parent', async () => {
    const slow = { delayMs: 300 };
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['billing', 'technical'],
        output: { type: 'object', required: ['billing', 'technical'] },
        turns: [
          {
            calls: [
              { tool: 'delegate.billing', args: { task: 'refund T-1' } },
              { tool: 'delegate.technical', args: { task: 'diagnose T-1' } },
            ],
          },
          { final: { billing: 'refunded', technical: 'cache' } },
        ],
      },
      specialist('billing', 'refunded', {
        turns: [
          {
            final: { answer: 'refunded' },
            usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 },
            ...slow,
          },
        ],
      }),
      specialist('technical', 'cache', {
        turns: [
          { final: { answer: 'cache' }, usage: { inputTokens: 7, outputTokens: 3, costUsd: 0.02 }, ...slow },
        ],
      }),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(result.output, { billing: 'refunded', technical: 'cache' });

      const parent = (await rt.get(result.runId))!;
      const children = await childrenOf(rt, result.runId);
      assert.equal(children.length, 2);
      // Each call's child has the id derived from the call's key, and names its parent and call.
      for (const call of parent.toolCalls) {
        const child = children.find((c) => c.parentCallKey === call.key)!;
        assert.equal(child.id, childRunId(call.key));
        assert.equal(child.parentRunId, result.runId);
        assert.equal(child.status, 'succeeded');
        assert.equal(call.status, 'succeeded');
        assert.deepEqual(call.result, { runId: child.id, output: child.output });
      }
      // Concurrent: each child was created before the other finished.
      const [a, b] = children;
      assert.ok(a!.createdAt < b!.finishedAt! && b!.createdAt < a!.finishedAt!, 'the children overlapped');
      // The children's turns and cost count against the parent's budget: 2 own turns + 1 + 1.
      assert.equal(parent.run.turns, 4);
      assert.equal(Math.round(parent.run.usage.costUsd * 100), 3);
      assert.equal(parent.run.usage.inputTokens, 17);
    } finally {
      await rt.close();
    }
  });

  it('caps a specialist at its orchestrator’s rung: an observe orchestrator’s full specialist writes nothing', async () => {
    const tree = writeRoleTree([
      {
        name: 'watcher',
        autonomy: 'observe',
        specialists: ['writer'],
        turns: [{ call: 'delegate.writer', args: { task: 'write it' } }, { final: { done: true } }],
      },
      {
        name: 'writer',
        autonomy: 'full',
        tools: ['fs.write', 'ledger.append'],
        input: TASK_INPUT,
        turns: [
          {
            calls: [
              { tool: 'fs.write', args: { path: 'out.txt', content: 'written' } },
              { tool: 'ledger.append', args: { entry: 'paid' } },
            ],
          },
          { final: { wrote: false } },
        ],
      },
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('watcher'), {});
      assert.equal(result.status, 'succeeded');
      const [child] = await childrenOf(rt, result.runId);
      assert.equal(child!.autonomyCap, 'observe');
      const snapshot = (await rt.get(child!.id))!;
      const started = snapshot.steps.find((s) => s.kind === 'run_started')!;
      assert.equal((started.data as { autonomy: string }).autonomy, 'observe');
      assert.deepEqual(
        snapshot.toolCalls.map((c) => [c.tool, c.decision]),
        [
          ['fs.write', 'deny'],
          ['ledger.append', 'deny'],
        ],
      );
      assert.match(snapshot.toolCalls[0]!.reason, /observe/);
      assert.equal(existsSync(join(tree.workspace, 'out.txt')), false);
      assert.equal(existsSync(join(tree.workspace, 'ledger.txt')), false);
    } finally {
      await rt.close();
    }
  });

  it('refuses arguments that do not match the specialist’s input schema before any child exists', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['billing'],
        turns: [{ call: 'delegate.billing', args: { wrong: 1 } }, { final: { ok: true } }],
      },
      specialist('billing', 'never'),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      const parent = (await rt.get(result.runId))!;
      assert.equal(parent.toolCalls[0]!.decision, 'deny');
      assert.match(parent.toolCalls[0]!.reason, /invalid arguments for delegate\.billing.*task/);
      assert.equal((await childrenOf(rt, result.runId)).length, 0);
    } finally {
      await rt.close();
    }
  });

  it('gives a specialist whose output fails its schema the repair turn, then shows the parent a tool error', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['sloppy'],
        turns: [{ call: 'delegate.sloppy', args: { task: 'answer' } }, { final: { routed: 'elsewhere' } }],
      },
      specialist('sloppy', 'x', { turns: [{ final: { nope: 1 } }, { final: { still: 'wrong' } }] }),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded', 'the parent goes on');
      const [child] = await childrenOf(rt, result.runId);
      assert.equal(child!.status, 'failed');
      assert.equal(child!.error?.code, 'OUTPUT_INVALID');
      assert.equal(child!.turns, 2, 'one repair turn');
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'failed');
      assert.equal(call.isError, true);
      const seen = call.result as { error: string; code: string; runId: string };
      assert.equal(seen.code, 'OUTPUT_INVALID');
      assert.equal(seen.runId, child!.id);
      assert.match(seen.error, /specialist sloppy failed/);
    } finally {
      await rt.close();
    }
  });

  it("shows a specialist's draft in the inbox with the chain; approving it continues the child, then the parent", async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['billing', 'technical'],
        turns: [
          {
            calls: [
              { tool: 'delegate.billing', args: { task: 'refund' } },
              { tool: 'delegate.technical', args: { task: 'look' } },
            ],
          },
          { final: { done: true } },
        ],
      },
      {
        name: 'billing',
        autonomy: 'draft',
        tools: ['ledger.append'],
        input: TASK_INPUT,
        turns: [{ call: 'ledger.append', args: { entry: 'refund 25' } }, { final: { refunded: 25 } }],
      },
      specialist('technical', 'fine'),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const paused = await rt.run(tree.file('desk'), {});
      assert.equal(paused.status, 'awaiting_approval', 'the parent waits with its child');
      const inbox = await rt.inbox();
      assert.equal(inbox.approvals.length, 1);
      const approval = inbox.approvals[0]!;
      const chain = inbox.chains[approval.runId]!;
      assert.deepEqual(
        chain.map((l) => l.role),
        ['desk', 'billing'],
      );
      assert.equal(chain[0]!.runId, paused.runId);
      assert.equal(chain[1]!.runId, approval.runId);
      // The technical child finished meanwhile; its result is committed in the parent already.
      const before = (await rt.get(paused.runId))!;
      assert.deepEqual(
        before.toolCalls.map((c) => c.status),
        ['started', 'succeeded'],
      );

      const after = await rt.approve(approval.id, { by: 'alice' });
      assert.equal(after.runId, paused.runId, 'approve reports the orchestrator');
      assert.equal(after.status, 'succeeded');
      assert.deepEqual(after.output, { done: true });
      assert.equal(readFileSync(join(tree.workspace, 'ledger.txt'), 'utf8'), 'refund 25\n');
      const children = await childrenOf(rt, paused.runId);
      assert.deepEqual(children.map((c) => c.status).sort(), ['succeeded', 'succeeded']);
    } finally {
      await rt.close();
    }
  });

  it('cancels the children with their parent', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['asker'],
        turns: [{ call: 'delegate.asker', args: { task: 'ask' } }, { final: { done: true } }],
      },
      specialist('asker', 'x', { turns: [{ escalate: { category: 'ambiguous', reason: 'which one?' } }] }),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const paused = await rt.run(tree.file('desk'), {});
      assert.equal(paused.status, 'escalated');
      const inbox = await rt.inbox();
      assert.equal(inbox.escalations.length, 1);
      assert.deepEqual(
        inbox.chains[inbox.escalations[0]!.runId]!.map((l) => l.role),
        ['desk', 'asker'],
      );
      await rt.cancel(paused.runId, { by: 'alice', reason: 'not needed' });
      const [child] = await childrenOf(rt, paused.runId);
      assert.equal(child!.status, 'cancelled');
      assert.equal((await rt.inbox()).escalations.length, 0);
    } finally {
      await rt.close();
    }
  });

  it('a child cancelled on its own puts its waiting parent back on the queue; the parent’s model sees why', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['asker'],
        turns: [{ call: 'delegate.asker', args: { task: 'ask' } }, { final: { routed: 'elsewhere' } }],
      },
      specialist('asker', 'x', { turns: [{ escalate: { category: 'ambiguous', reason: 'which one?' } }] }),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const paused = await rt.run(tree.file('desk'), {});
      assert.equal(paused.status, 'escalated');
      const [child] = await childrenOf(rt, paused.runId);
      await rt.cancel(child!.id, { by: 'alice', reason: 'wrong specialist' });
      assert.equal((await rt.store.getRun(paused.runId))!.status, 'queued', 'ready for a worker to join');
      const after = await rt.resume(paused.runId);
      assert.equal(after.status, 'succeeded');
      const call = (await rt.get(paused.runId))!.toolCalls[0]!;
      assert.equal(call.isError, true);
      assert.match((call.result as { error: string }).error, /specialist asker cancelled.*wrong specialist/);
    } finally {
      await rt.close();
    }
  });

  it('answering a specialist’s escalation continues the child, then the parent', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['asker'],
        turns: [{ call: 'delegate.asker', args: { task: 'ask' } }, { final: { done: true } }],
      },
      specialist('asker', 'x', {
        turns: [
          { escalate: { category: 'ambiguous', reason: 'which one?' } },
          { final: { answer: 'the red one' } },
        ],
      }),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const paused = await rt.run(tree.file('desk'), {});
      const [escalation] = (await rt.inbox()).escalations;
      const after = await rt.answer(escalation!.id, 'the red one', { by: 'alice' });
      assert.equal(after.runId, paused.runId);
      assert.equal(after.status, 'succeeded');
      const call = (await rt.get(paused.runId))!.toolCalls[0]!;
      assert.deepEqual((call.result as { output: unknown }).output, { answer: 'the red one' });
    } finally {
      await rt.close();
    }
  });

  it('does not count a delegation the policy denied against delegation.maxFanOut', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['a'],
        extra: { delegation: { maxFanOut: 2 } },
        turns: [
          {
            calls: [
              { tool: 'delegate.a', args: { wrong: 'shape' } },
              { tool: 'delegate.a', args: { task: 't2' } },
              { tool: 'delegate.a', args: { task: 't3' } },
            ],
          },
          { final: { done: true } },
        ],
      },
      specialist('a', 'ok'),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      const calls = [...(await rt.get(result.runId))!.toolCalls].sort((x, y) => x.index - y.index);
      assert.deepEqual(
        calls.map((c) => [c.decision, c.status]),
        [
          ['deny', 'denied'],
          ['allow', 'succeeded'],
          ['allow', 'succeeded'],
        ],
      );
      assert.equal((await childrenOf(rt, result.runId)).length, 2);
    } finally {
      await rt.close();
    }
  });

  it('refuses delegations beyond delegation.maxFanOut with an error the model reads', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['a'],
        extra: { delegation: { maxFanOut: 2 } },
        turns: [
          {
            calls: [1, 2, 3].map((n) => ({ tool: 'delegate.a', args: { task: `t${n}` } })),
          },
          { final: { done: true } },
        ],
      },
      specialist('a', 'ok'),
    ]);
    const rt = await open(tree.dataDir);
    try {
      const result = await rt.run(tree.file('desk'), {});
      assert.equal(result.status, 'succeeded');
      const calls = (await rt.get(result.runId))!.toolCalls;
      assert.deepEqual(
        calls.map((c) => c.status),
        ['succeeded', 'succeeded', 'failed'],
      );
      assert.equal((calls[2]!.result as { code: string }).code, 'DELEGATION_LIMIT');
      assert.equal((await childrenOf(rt, result.runId)).length, 2);
    } finally {
      await rt.close();
    }
  });
});
