// How the Postgres store's group commit (src/store/postgres/group-commit.ts) treats a failed statement,
// with a recording `send` in place of Postgres (the real statement runs in test/store/postgres.test.ts):
// a statement the database refused is retried batch by batch, one at a time; a lost connection, after
// which the group may have committed, fails the whole group with that error and re-sends nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/store/postgres/group-commit.js';
import type { CommitBatch } from '../../src/store/types.js';

const batch = (runId: string): CommitBatch => ({ runId, expectSeq: 1, steps: [], at: 1 });

function groups(fail: (ids: string[]) => Error | undefined) {
  const sent: string[][] = [];
  let inFlight = 0;
  let peak = 0;
  const g = new GroupCommit({
    send: async (batches) => {
      const ids = batches.map((b) => b.runId);
      sent.push(ids);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      const err = fail(ids);
      if (err) throw err;
      return new Set(ids);
    },
    conflict: (b) => new Error(`conflict ${b.runId}`),
    refused: (err) => (err as { code?: string }).code === '23502',
  });
  return { g, sent, peak: () => peak };
}

describe('group commit failures', () => {
  it('a statement the database refused is retried batch by batch, so only the faulty batch fails', async () => {
    const { g, sent } = groups((ids) =>
      ids.includes('bad') ? Object.assign(new Error('null value'), { code: '23502' }) : undefined,
    );
    // One sent on its own first; the next four, handed over together, travel together.
    const first = g.commit(batch('a'));
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'bad', 'c', 'd'].map((id) => g.commit(batch(id)));
    const results = await Promise.allSettled([first, ...rest]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const grouped = sent.find((ids) => ids.length > 1)!;
    assert.ok(grouped.includes('bad'));
    const alone = sent.slice(sent.indexOf(grouped) + 1);
    assert.deepEqual(
      alone.map((ids) => ids.length),
      grouped.map(() => 1),
      'each batch re-sent alone',
    );
  });

  it('a lost connection fails every batch of its group with that error and re-sends nothing', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const { g, sent } = groups((ids) => (ids.length > 1 ? lost : undefined));
    const first = g.commit(batch('a'));
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd'].map((id) => g.commit(batch(id)));
    const results = await Promise.allSettled([first, ...rest]);
    assert.equal(results[0]!.status, 'fulfilled');
    for (const r of results.slice(1)) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason, lost);
    }
    assert.equal(sent.length, 2, 'one statement for the first batch, one for the group, nothing more');
  });

  it('drain waits until every batch handed over has been answered', async () => {
    const { g } = groups(() => undefined);
    let settled = 0;
    for (const id of ['a', 'b', 'c']) void g.commit(batch(id)).then(() => settled++);
    await g.drain();
    assert.equal(settled, 3);
  });
});
