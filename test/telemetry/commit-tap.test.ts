// The commit tap: observers hear every batch the store accepted, with the run's role and typed steps, and
// every write it refused; an observer that throws never fails the run. Real role file, scripted model,
// real SQLite store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import type { CommitObserver, CommittedBatch } from '../../src/telemetry/commit-tap.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('the commit tap', () => {
  it('tells observers each accepted batch with the run, its role and its steps, in commit order', async () => {
    const r = role({
      name: 'tapped',
      autonomy: 'full',
      turns: [{ call: 'fs.list', args: { path: '.' } }, { final: { summary: 'done' } }],
    });
    const seen: CommittedBatch[] = [];
    const rt = await createRuntime({ dataDir: r.dataDir, observers: [{ committed: (c) => seen.push(c) }] });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.equal(seen[0]?.created, true);
      assert.ok(seen.slice(1).every((c) => !c.created));
      for (const c of seen) {
        assert.equal(c.run?.id, result.runId);
        assert.equal(c.run?.role, 'tapped');
        assert.ok(c.commitMs >= 0);
      }
      const kinds = seen.flatMap((c) => c.steps.map((s) => s.kind));
      // Everything the store holds, in order, and nothing it does not.
      const stored = (await rt.get(result.runId))!.steps.map((s) => s.kind);
      assert.deepEqual(kinds, stored);
      assert.ok(
        kinds.includes('model_turn') && kinds.includes('decision') && kinds.includes('tool_finished'),
      );
      const last = seen.at(-1)!;
      assert.equal(last.batch.run?.status, 'succeeded');
    } finally {
      await rt.close();
    }
  });

  it('a throwing observer is reported and the run goes on; a refused write is told as failed', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { summary: 'ok' } }] });
    const errors: unknown[] = [];
    const failed: string[] = [];
    const throwing: CommitObserver = {
      committed: () => {
        throw new Error('observer bug');
      },
      failed: (runId) => failed.push(runId),
    };
    const rt = await createRuntime({
      dataDir: r.dataDir,
      observers: [throwing],
      onObserverError: (e) => errors.push(e),
    });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      assert.ok(errors.length >= 2);
      assert.match(String(errors[0]), /observer bug/);
      // A stale batch (seq already taken) is refused by the store and reported to the observer.
      await assert.rejects(rt.store.commit({ runId: result.runId, expectSeq: 0, steps: [], at: Date.now() }));
      assert.deepEqual(failed, [result.runId]);
    } finally {
      await rt.close();
    }
  });
});
