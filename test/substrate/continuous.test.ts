// Continuous mode in one process: a role's agent takes its inbox one event at a time, each handled by a
// durable run whose input carries the context the previous event left; a failed handling is restarted with
// backoff and continues from its last step; after maxFailures in a row the agent escalates to ops, and
// answering that escalation restarts it. The model is the local fake Anthropic server, answering from
// what it is sent (the input's context), so the context really travels through the model's input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { json, runCli } from '../support/cli.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeRequest, FakeServer } from '../support/fake-llm.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { inputOf } from '../support/run-input.js';
import { waitFor } from '../support/wait.js';

/** A counter agent: remembers how many events it saw and the last id. */
export function counterAnswer(request: FakeRequest) {
  const input = inputOf(request);
  const seen = (input.context as { seen?: number } | null)?.seen ?? 0;
  return { text: JSON.stringify({ context: { seen: seen + 1, last: input.payload.id } }) };
}

export function continuousRole(continuous: Record<string, unknown>, tools: string[] = []): TestRole {
  return writeTestRole({
    name: 'watcher',
    autonomy: 'full',
    tools,
    turns: [{ final: {} }],
    extra: {
      model: 'anthropic:claude-sonnet-4-5',
      mode: 'continuous',
      continuous,
      triggers: [{ event: 'alert.fired' }],
    },
  });
}

describe('continuous agents (one process)', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());
  const open = (r: TestRole) =>
    createRuntime({
      dataDir: r.dataDir,
      env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
      models: { maxRetries: 0 },
    });

  it('handles events in order, one at a time, carrying its context from one to the next', async () => {
    const r = continuousRole({ leaseSeconds: 5, heartbeatSeconds: 1 });
    const rt = await open(r);
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      for (let i = 0; i < 3; i++) fake.enqueue(counterAnswer);
      const handle = rt.work({ roles: [role], concurrency: 4, pollMs: 20, signal: abort.signal });
      const deliveries = [];
      for (const id of ['A-1', 'A-2', 'A-3'])
        deliveries.push(...(await rt.emit('alert.fired', { id }, { idempotencyKey: id })));
      assert.deepEqual(
        deliveries.map((d) => [d.role, d.status, d.created]),
        [
          ['watcher', 'inbox', true],
          ['watcher', 'inbox', true],
          ['watcher', 'inbox', true],
        ],
      );
      // A redelivered event adds nothing to the inbox.
      const again = await rt.emit('alert.fired', { id: 'A-1' }, { idempotencyKey: 'A-1' });
      assert.equal(again[0]!.created, false);
      assert.equal(again[0]!.inboxId, deliveries[0]!.inboxId);
      handle.wake();
      const agent = await waitFor(async () => {
        const [a] = await rt.agents();
        return a && a.inbox === 0 && a.status === 'idle' && (a.context as { seen?: number })?.seen === 3
          ? a
          : undefined;
      }, 'three events handled');
      assert.deepEqual(agent.context, { seen: 3, last: 'A-3' });
      assert.equal(agent.live, true);
      assert.deepEqual(handle.agents(), ['watcher']);
      // Each handling saw the context the previous one left, in order.
      const contexts = fake.requests.slice(-3).map((q) => inputOf(q).context);
      assert.deepEqual(contexts, [null, { seen: 1, last: 'A-1' }, { seen: 2, last: 'A-2' }]);
      const runs = await rt.list({ role: 'watcher' });
      assert.equal(runs.length, 3);
      assert.ok(runs.every((x) => x.status === 'succeeded'));
      abort.abort();
      await handle.done;
      // A graceful stop hands the agent over at once.
      const [released] = await rt.agents();
      assert.equal(released!.owner, null);
    } finally {
      abort.abort();
      await rt.close();
      r.cleanup();
    }
  });

  it('restarts a failed handling with backoff, continuing its run without repeating the tool call', async () => {
    const r = continuousRole({ leaseSeconds: 5, heartbeatSeconds: 1, backoffSeconds: 0.2, maxFailures: 5 }, [
      'ledger.append',
    ]);
    const rt = await open(r);
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      fake.enqueue(
        { calls: [{ name: 'ledger_append', input: { entry: 'paged on-call' } }] },
        { status: 500, message: 'upstream down' },
        { text: '{"context":{"paged":1}}' },
      );
      const handle = rt.work({ roles: [role], concurrency: 1, pollMs: 20, signal: abort.signal });
      await rt.emit('alert.fired', { id: 'B-1' });
      handle.wake();
      const agent = await waitFor(async () => {
        const [a] = await rt.agents();
        return a && a.inbox === 0 && a.status === 'idle' ? a : undefined;
      }, 'the event handled after a restart');
      assert.equal(agent.restarts, 1);
      assert.equal(agent.failures, 0);
      assert.deepEqual(agent.context, { paged: 1 });
      assert.deepEqual(r.ledger(), ['paged on-call']);
      const [run] = await rt.list({ role: 'watcher' });
      assert.equal(run!.status, 'succeeded');
      assert.equal(run!.attempt, 2);
      abort.abort();
      await handle.done;
    } finally {
      abort.abort();
      await rt.close();
      r.cleanup();
    }
  });

  it('escalates to ops after maxFailures in a row; answering restarts it', async () => {
    const r = continuousRole({ leaseSeconds: 5, heartbeatSeconds: 1, backoffSeconds: 0.05, maxFailures: 2 });
    const rt = await open(r);
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      fake.enqueue({ status: 500, message: 'down 1' }, { status: 500, message: 'down 2' });
      const handle = rt.work({ roles: [role], concurrency: 1, pollMs: 20, signal: abort.signal });
      await rt.emit('alert.fired', { id: 'C-1' });
      handle.wake();
      const agent = await waitFor(async () => {
        const [a] = await rt.agents();
        return a?.status === 'escalated' ? a : undefined;
      }, 'the agent to escalate');
      assert.equal(agent.failures, 2);
      assert.equal(agent.lastError?.code, 'MODEL_ERROR');
      const inbox = await rt.inbox();
      const esc = inbox.escalations.find((e) => e.id === agent.escalationId);
      assert.ok(esc, 'the escalation is in the human inbox');
      assert.equal(esc.source, 'agent_failures');
      assert.match(esc.reason, /failed 2 times in a row.*down 2/);
      // While escalated, nothing more is asked of the model.
      const asked = fake.requests.length;
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(fake.requests.length, asked);
      fake.enqueue(counterAnswer);
      await rt.answer(esc.id, 'provider is back, go on', { by: 'ops-oncall' });
      const back = await waitFor(async () => {
        const [a] = await rt.agents();
        return a && a.inbox === 0 && a.status === 'idle' ? a : undefined;
      }, 'the agent to handle the event after the answer');
      assert.equal(back.failures, 0);
      assert.deepEqual(back.context, { seen: 1, last: 'C-1' });
      abort.abort();
      await handle.done;
      await rt.close();
      const status = await runCli(['status', '--data-dir', r.dataDir, '--json']);
      assert.equal(status.code, 0);
      const shown = json<{ agents: { role: string; status: string; inbox: number }[] }>(status);
      assert.deepEqual(
        shown.agents.map((a) => [a.role, a.status, a.inbox]),
        [['watcher', 'idle', 0]],
      );
    } finally {
      abort.abort();
      await rt.close().catch(() => {});
      r.cleanup();
    }
  });
});
