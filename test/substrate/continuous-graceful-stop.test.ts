// A clean stop (SIGTERM) of the worker holding a continuous agent in the middle of an event
// (docs/deployment.md, "Continuous mode": a graceful stop releases the lease at once; "The queue and crash
// recovery": past `--grace-ms` the model call in flight is aborted and the run released). Two real
// `nightshift serve` workers share a Postgres schema; the agent's lease is far longer than the test, so the
// second worker can take the agent and its interrupted run only because the first let them go: at once,
// without counting a takeover or a crashed attempt, the heartbeat and the context carrying on.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { authFor, startServe } from '../support/cli.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeRequest } from '../support/fake-llm.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { inputOf } from '../support/run-input.js';
import { waitFor } from '../support/wait.js';

const skip = await postgresUnavailable();

describe('continuous agent: SIGTERM of its holder mid-event', { skip }, () => {
  it('releases the agent and its run at once; the next worker continues the run with the context', async () => {
    const fake = await startFakeAnthropic();
    let asked = 0;
    // The first model turn hangs for 30 s (far past the grace); every later one answers at once.
    const answer = (request: FakeRequest) => {
      asked++;
      const input = inputOf(request) as { payload: { id: string }; context: { seen?: number } | null };
      const text = JSON.stringify({
        context: { seen: (input.context?.seen ?? 0) + 1, last: input.payload.id },
      });
      return asked === 1 ? { text, delayMs: 30_000 } : { text };
    };
    for (let i = 0; i < 10; i++) fake.enqueue(answer);
    const r = writeTestRole({
      name: 'sentinel',
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: {
        model: 'anthropic:claude-sonnet-4-5',
        mode: 'continuous',
        // Far past the test's bounds: a takeover by lease expiry cannot be mistaken for a release.
        continuous: { leaseSeconds: 120, heartbeatSeconds: 0.4 },
        triggers: [{ event: 'alert' }],
      },
    });
    const schema = freshSchema();
    const env = {
      NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL,
      NIGHTSHIFT_DATABASE_SCHEMA: schema,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: fake.url,
    };
    await (
      await createRuntime({ databaseUrl: TEST_DATABASE_URL, env: { NIGHTSHIFT_DATABASE_SCHEMA: schema } })
    ).close();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    const children: ChildProcess[] = [];
    const flags = [r.dir, '--port', '0', '--poll-ms', '25', '--lease-ms', '120000'];
    try {
      const a = await startServe([...flags, '--grace-ms', '300'], { env });
      children.push(a.child);
      await waitFor(
        async () =>
          (await store.getAgent('sentinel'))?.owner?.includes(`/${a.child.pid}/`) ? true : undefined,
        'A to hold the agent',
      );
      const b = await startServe(flags, { env });
      children.push(b.child);
      const posted = await fetch(`${a.url}/events/alert`, {
        method: 'POST',
        headers: { ...authFor(a.url), 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'E-1' }),
      });
      assert.equal(posted.status, 202);
      const inFlight = await waitFor(async () => {
        const [run] = await store.listRuns({ role: 'sentinel' });
        return run?.status === 'running' && asked === 1 ? run : undefined;
      }, 'A waiting on the model');
      assert.ok(
        inFlight.leaseOwner?.includes(`/${a.child.pid}/`),
        `A drives the run (${inFlight.leaseOwner})`,
      );

      a.child.kill('SIGTERM');
      const exit = await Promise.race([
        a.done,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000).unref()),
      ]);
      assert.notEqual(exit, 'still running', 'A exits after its grace, not when the model answers');
      assert.equal((exit as { code: number | null }).code, 0);
      const stoppedAt = Date.now();
      const taken = await waitFor(async () => {
        const ag = await store.getAgent('sentinel');
        return ag?.owner?.includes(`/${b.child.pid}/`) ? ag : undefined;
      }, 'B to take the agent');
      const waited = Date.now() - stoppedAt;
      assert.ok(
        waited < 8_000,
        `B took the agent ${waited} ms after A stopped: its lease was left to expire`,
      );
      assert.equal(taken.takeovers, 0, 'a released agent is not a takeover of a dead holder');

      const done = await waitFor(async () => {
        const ag = await store.getAgent('sentinel');
        return ag?.status === 'idle' && (ag.context as { seen?: number } | null)?.seen === 1 ? ag : undefined;
      }, 'E-1 handled by B');
      assert.deepEqual(done.context, { seen: 1, last: 'E-1' });
      await waitFor(async () => {
        const ag = await store.getAgent('sentinel');
        return ag?.owner === taken.owner && ag.heartbeatAt! > taken.heartbeatAt! ? true : undefined;
      }, 'B to heartbeat the agent');
      const runs = await store.listRuns({ role: 'sentinel' });
      assert.equal(runs.length, 1, 'the interrupted run was continued, not started again');
      assert.equal(runs[0]!.id, inFlight.id);
      assert.equal(runs[0]!.status, 'succeeded');
      assert.equal(runs[0]!.attempt, 1, 'a clean stop is not counted as a crashed attempt');
      assert.ok(runs[0]!.leaseEpoch > inFlight.leaseEpoch, 'B drove it under a new lease');
      assert.equal(await store.inboxDepth('sentinel'), 0);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await store.close();
      await fake.close();
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
