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
});
