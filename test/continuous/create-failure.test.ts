// A handling whose run cannot even be recorded (the store failed) is a failed handling: the agent backs off
// and counts it, and is not asked to create the run again on every tick. Real SQLite store; the clock is
// the test's, so "not again before the backoff ends" is a fact of the clock, not of timing. A version that
// cannot be prepared in this process still gets its run recorded, so its failures end in an escalation
// after maxFailures (docs/versions.md) instead of a backoff that never ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSupervisor } from '../../src/continuous/supervisor.js';
import { NightshiftError } from '../../src/errors.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

describe('continuous agent: a run that cannot be created', () => {
  it('backs off with the error recorded, and tries again only once the backoff is over', async () => {
    const r = writeTestRole({
      name: 'watcher',
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: {
        mode: 'continuous',
        continuous: { leaseSeconds: 30, heartbeatSeconds: 10, backoffSeconds: 5 },
      },
    });
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    const role = await loadRoleFile(r.file);
    let now = 1_000_000;
    let attempts = 0;
    const abort = new AbortController();
    const errors: unknown[] = [];
    try {
      await store.pushInbox({
        id: 'evt_1',
        role: 'watcher',
        event: 'alert',
        payload: {},
        idempotencyKey: null,
        createdAt: now,
        handledAt: null,
        runId: null,
      });
      const supervisor = startSupervisor({
        host: {
          store,
          clock: { now: () => now },
          owner: 'test-owner',
          async createRun() {
            attempts++;
            throw new NightshiftError('ROLE_INVALID', 'the active version cannot be prepared here');
          },
          driveRun: () => Promise.reject(new Error('not reached')),
          reopenRun: () => Promise.reject(new Error('not reached')),
          escalate: () => Promise.reject(new Error('not reached')),
        },
        roles: [role],
        pollMs: 10,
        signal: abort.signal,
        onError: (err) => errors.push(err),
      });
      const backoff = await waitFor(async () => {
        const a = await store.getAgent('watcher');
        return a?.status === 'backoff' ? a : undefined;
      }, 'the agent to back off');
      assert.equal(backoff.failures, 1);
      assert.equal(backoff.lastError?.code, 'ROLE_INVALID');
      assert.equal(backoff.nextAttemptAt, now + 5000);
      // Many ticks later, the clock not having moved, it has not tried again.
      for (let i = 0; i < 5; i++) {
        supervisor.wake();
        await sleep(30);
      }
      assert.equal(attempts, 1);
      assert.deepEqual(errors, [], 'a failed handling, not an error on every tick');
      // Once the backoff is over it tries again, and counts a second failure.
      now += 5001;
      supervisor.wake();
      const again = await waitFor(async () => {
        const a = await store.getAgent('watcher');
        return a?.failures === 2 ? a : undefined;
      }, 'a second attempt');
      assert.equal(again.status, 'backoff');
      assert.equal(attempts, 2);
      abort.abort();
      await supervisor.done;
    } finally {
      abort.abort();
      await store.close();
      r.cleanup();
    }
  });

  it('escalates after maxFailures when the version cannot be prepared here (a missing API key)', async () => {
    const r = writeTestRole({
      name: 'watcher',
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: {
        model: 'anthropic:claude-sonnet-4-5',
        mode: 'continuous',
        continuous: { leaseSeconds: 5, heartbeatSeconds: 1, backoffSeconds: 0.05, maxFailures: 2 },
        triggers: [{ event: 'alert.fired' }],
      },
    });
    // No ANTHROPIC_API_KEY: the role loads, its model cannot be built in this process.
    const rt = await createRuntime({ dataDir: r.dataDir, env: {} });
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      const handle = rt.work({ roles: [role], concurrency: 1, pollMs: 20, signal: abort.signal });
      await rt.emit('alert.fired', { id: 'C-1' });
      handle.wake();
      const agent = await waitFor(async () => {
        const [a] = await rt.agents();
        return a?.status === 'escalated' ? a : undefined;
      }, 'the agent to escalate');
      assert.equal(agent.failures, 2);
      assert.equal(agent.lastError?.code, 'MODEL_CONFIG');
      const esc = (await rt.inbox()).escalations.find((e) => e.id === agent.escalationId);
      assert.ok(esc, 'the escalation is in the human inbox');
      assert.equal(esc.source, 'agent_failures');
      assert.match(esc.reason, /failed 2 times in a row.*ANTHROPIC_API_KEY/);
      abort.abort();
      await handle.done;
    } finally {
      abort.abort();
      await rt.close();
      r.cleanup();
    }
  });
});
