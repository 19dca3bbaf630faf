// The eval results part of the Store contract, for both stores: a result comes back as stored (floats,
// booleans, the per-case tallies), newest first, filtered by suite, version and verdict; and, on the same
// store, the improve loop's rounds (improvements.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EvalResultRecord, Store } from '../../src/store/types.js';
import { improvementRoundsContract, seedImprovementRounds } from './improvements.js';
import type { StoreFixture } from './store.js';

function result(over: Partial<EvalResultRecord>): EvalResultRecord {
  return {
    id: 'eval_x',
    role: 'contract-role',
    roleVersion: 'v1',
    suite: 'main',
    suiteHash: 'a'.repeat(64),
    passed: true,
    passRate: 2 / 3,
    ciLow: 0.2076,
    ciHigh: 0.9385,
    repeat: 3,
    costUsd: 0.0123,
    durationMs: 1234,
    cases: [
      { name: 'ünïcødé "case"', safety: true, split: 'holdout', runs: 3, passes: 2, score: 0.8333 },
      { name: 'plain', safety: false, split: 'train', runs: 3, passes: 3, score: 1 },
    ],
    createdAt: 1000,
    ...over,
  };
}

export function describeEvalResultsContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract (eval results): ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
      await store.putEvalResult(result({ id: 'eval_1', createdAt: 1000 }));
      await store.putEvalResult(result({ id: 'eval_2', roleVersion: 'v2', passed: false, createdAt: 2000 }));
      await store.putEvalResult(result({ id: 'eval_3', roleVersion: 'v2', suite: 'other', createdAt: 3000 }));
      await store.putEvalResult(result({ id: 'eval_4', role: 'another-role', createdAt: 4000 }));
      await seedImprovementRounds(store);
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    it('gives a result back exactly as stored', async () => {
      const [got] = await store.listEvalResults({ role: 'contract-role', roleVersion: 'v1' });
      assert.deepEqual(got, result({ id: 'eval_1', createdAt: 1000 }));
    });

    it("lists one role's results newest first", async () => {
      const all = await store.listEvalResults({ role: 'contract-role' });
      assert.deepEqual(
        all.map((r) => r.id),
        ['eval_3', 'eval_2', 'eval_1'],
      );
    });

    it('filters by suite, version and verdict, and honours the limit', async () => {
      const ids = async (f: Parameters<Store['listEvalResults']>[0]) =>
        (await store.listEvalResults(f)).map((r) => r.id);
      assert.deepEqual(await ids({ role: 'contract-role', suite: 'main' }), ['eval_2', 'eval_1']);
      assert.deepEqual(await ids({ role: 'contract-role', roleVersion: 'v2' }), ['eval_3', 'eval_2']);
      assert.deepEqual(await ids({ role: 'contract-role', exceptVersion: 'v2' }), ['eval_1']);
      assert.deepEqual(await ids({ role: 'contract-role', passed: false }), ['eval_2']);
      assert.deepEqual(await ids({ role: 'contract-role', suite: 'main', passed: true }), ['eval_1']);
      assert.deepEqual(await ids({ role: 'contract-role', limit: 1 }), ['eval_3']);
      assert.deepEqual(await ids({ role: 'nobody' }), []);
    });

    it('keeps the split of a partial eval, and leaves it out when asked for whole-suite results', async () => {
      // eval --split: kept and listed, marked, but never a baseline nor the eval autonomy reads.
      const whole = result({ id: 'eval_w', role: 'split-role', createdAt: 5000 });
      const train = result({ id: 'eval_t', role: 'split-role', split: 'train', createdAt: 6000 });
      const holdout = result({ id: 'eval_h', role: 'split-role', split: 'holdout', createdAt: 7000 });
      for (const r of [whole, train, holdout]) await store.putEvalResult(r);
      assert.deepEqual(await store.listEvalResults({ role: 'split-role' }), [holdout, train, whole]);
      const kept = await store.listEvalResults({ role: 'split-role', wholeSuite: true, passed: true });
      assert.deepEqual(kept, [whole]);
      assert.equal('split' in kept[0]!, false);
    });

    it("gives each (version, suite)'s newest result with newestPerSuite, whatever piled up after it", async () => {
      // versions/autonomy read a version's latest eval this way: a busy version's 60 newer results
      // must not push an older version's (or one suite's) latest out of a window.
      await store.putEvalResult(
        result({ id: 'eval_p_old', role: 'busy-role', roleVersion: 'v1', createdAt: 1 }),
      );
      await store.putEvalResult(
        result({ id: 'eval_p_v1', role: 'busy-role', roleVersion: 'v1', createdAt: 2 }),
      );
      await store.putEvalResult(result({ id: 'eval_p_b', role: 'busy-role', suite: 'b', createdAt: 3 }));
      for (let i = 0; i < 60; i++)
        await store.putEvalResult(
          result({
            id: `eval_p_v2_${String(i).padStart(2, '0')}`,
            role: 'busy-role',
            roleVersion: 'v2',
            createdAt: 10 + i,
          }),
        );
      await store.putEvalResult(
        result({ id: 'eval_p_split', role: 'busy-role', roleVersion: 'v1', split: 'train', createdAt: 100 }),
      );
      const ids = async (f: Omit<Parameters<Store['listEvalResults']>[0], 'role'>) =>
        (await store.listEvalResults({ role: 'busy-role', newestPerSuite: true, ...f })).map((r) => r.id);
      assert.deepEqual(await ids({ wholeSuite: true }), ['eval_p_v2_59', 'eval_p_b', 'eval_p_v1']);
      assert.deepEqual(await ids({}), ['eval_p_split', 'eval_p_v2_59', 'eval_p_b']);
      assert.deepEqual(await ids({ wholeSuite: true, roleVersion: 'v1' }), ['eval_p_b', 'eval_p_v1']);
      assert.deepEqual(await ids({ wholeSuite: true, limit: 1 }), ['eval_p_v2_59']);
    });

    it('refuses a second result with the same id', async () => {
      await assert.rejects(store.putEvalResult(result({ id: 'eval_1' })));
    });

    describe('improvement rounds (nightshift improve)', () => improvementRoundsContract(() => store));
  });
}
