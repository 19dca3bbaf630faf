// Cancelling runs: a paused run (its approval is closed, nothing drafted ever runs), and a run a worker is
// executing right now, from another process: the cancellation is committed at once and the worker, whose
// lease renewal then fails, aborts the model call it has in flight instead of waiting for it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

describe('cancelling runs', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());

  it('stops a run mid-execution from another process, aborting its model call in flight', async () => {
    const r = writeTestRole({
      name: 'slow-bot',
      autonomy: 'full',
      tools: ['ledger.append'],
      turns: [],
      extra: { model: 'anthropic:claude-sonnet-4-5' },
    });
    const env = { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url };
    // The worker renews its lease every 200 ms; the model call below would otherwise hang for the
    // adapter's whole request timeout (minutes).
    const worker = await createRuntime({ dataDir: r.dataDir, env, leaseMs: 600, models: { maxRetries: 0 } });
    const other = await createRuntime({ dataDir: r.dataDir, env });
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      fake.enqueue({ text: '', stall: true });
      const handle = worker.work({ roles: [role], concurrency: 1, pollMs: 20, signal: abort.signal });
      const queued = await worker.enqueue(role, { ticket: 'T-1' });
      const before = fake.requests.length;
      await waitFor(async () => (fake.requests.length > before ? true : undefined), 'the model call');
      await waitFor(async () => (handle.active() === 1 ? true : undefined), 'the worker to hold the run');

      const cancelled = await other.cancel(queued.runId, { by: 'alice', reason: 'no longer needed' });
      assert.equal(cancelled.status, 'cancelled');
      await waitFor(async () => (handle.active() === 0 ? true : undefined), 'the worker to let go', 10_000);

      const snap = (await other.get(queued.runId))!;
      assert.equal(snap.run.status, 'cancelled');
      assert.equal(snap.run.leaseOwner, null, 'the worker did not take the lease back');
      assert.equal(snap.run.error?.code, 'CANCELLED');
      const last = snap.steps.at(-1)!;
      assert.equal(last.kind, 'run_finished');
      assert.match(String(last.data.interrupted), new RegExp(`/${process.pid}/`));
      assert.deepEqual(r.ledger(), []);
      assert.equal(fake.requests.length, before + 1, 'no second model call');
    } finally {
      abort.abort();
      await worker.close();
      await other.close();
      r.cleanup();
    }
  });

  it('cancels a paused run: its approval is closed and the drafted call never runs', async () => {
    const r = writeTestRole({
      name: 'drafting-bot',
      autonomy: 'draft',
      tools: ['ledger.append'],
      turns: [{ call: 'ledger.append', args: { entry: 'refund' } }, { final: { ok: true } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      const approvalId = paused.pending[0]!;
      const done = await rt.cancel(paused.runId, { by: 'alice' });
      assert.equal(done.status, 'cancelled');
      assert.deepEqual((await rt.inbox()).approvals, []);
      await assert.rejects(rt.approve(approvalId, { by: 'bob' }), /not pending|cancelled/);
      assert.deepEqual(r.ledger(), []);
      await assert.rejects(rt.cancel(paused.runId, { by: 'alice' }), { code: 'RUN_NOT_RESUMABLE' });
    } finally {
      await rt.close();
      r.cleanup();
    }
  });
});
