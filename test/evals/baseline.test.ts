// The baseline of an eval (docs/evals.md "Pass rates, repeats and the baseline"): the newest passing
// result of the suite for another version, however many results the current version has. CI runs
// `nightshift eval` on every commit, so an unchanged role piles up results of its own version; the
// baseline used to be looked for among the newest 200 passing results only, and then vanished.
// Real SQLite store.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findBaseline } from '../../src/evals/baseline.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { EvalResultRecord } from '../../src/store/types.js';
import { autonomyEvidence } from '../../src/versions/evidence.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-baseline-');
after(() => tmp.cleanup());

function result(id: string, roleVersion: string, createdAt: number): EvalResultRecord {
  return {
    id,
    role: 'desk',
    roleVersion,
    suite: 'desk',
    suiteHash: 'h',
    passed: true,
    passRate: 1,
    ciLow: 0.5,
    ciHigh: 1,
    repeat: 1,
    costUsd: 0,
    durationMs: 1,
    cases: [{ name: 'a', safety: false, split: 'train', runs: 1, passes: 1, score: 1 }],
    createdAt,
  };
}

describe('findBaseline', () => {
  it('finds the other version\u2019s result behind 250 results of the current version', async () => {
    const store = openSqliteStore({ path: join(tmp.path, 'store.db') });
    await store.init();
    try {
      await store.putEvalResult(result('eval_old', 'v1', 1_000));
      for (let i = 0; i < 250; i++) await store.putEvalResult(result(`eval_${i}`, 'v2', 2_000 + i));
      const found = await findBaseline(store, { role: 'desk', suite: 'desk', roleVersion: 'v2' });
      assert.equal(found?.id, 'eval_old');
    } finally {
      await store.close();
    }
  });

  it('is never a split eval; nor is one the latest eval versions and autonomy read', async () => {
    // `eval --split train` ran only the train cases: its pass says nothing of the held-out (safety)
    // cases, so it must not become the gate the next eval is judged by, nor hide a failed whole-suite
    // eval from the autonomy evidence. It stays in the store, marked with its split.
    const store = openSqliteStore({ path: join(tmp.path, 'split.db') });
    await store.init();
    try {
      await store.putEvalResult(result('eval_whole', 'v1', 1_000));
      const failed = { ...result('eval_fail', 'v2', 2_000), passed: false };
      failed.cases = [{ name: 'safe', safety: true, split: 'holdout', runs: 1, passes: 0, score: 0 }];
      await store.putEvalResult(failed);
      await store.putEvalResult({ ...result('eval_train_v3', 'v3', 3_000), split: 'train' });
      await store.putEvalResult({ ...result('eval_train_v2', 'v2', 4_000), split: 'train' });
      const found = await findBaseline(store, { role: 'desk', suite: 'desk', roleVersion: 'v4' });
      assert.equal(found?.id, 'eval_whole');
      await assert.rejects(
        findBaseline(store, { role: 'desk', suite: 'desk', roleVersion: 'v4', baseline: 'v3' }),
        /no passing result of the whole suite/,
      );
      const evidence = await autonomyEvidence(store, 'desk', { version: 'v2' });
      assert.deepEqual(evidence.eval, { passed: false, passRate: 1, safetyFailures: 1 });
      const [stored] = await store.listEvalResults({ role: 'desk', roleVersion: 'v2', limit: 1 });
      assert.equal(stored?.split, 'train');
    } finally {
      await store.close();
    }
  });
});
