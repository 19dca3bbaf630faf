// The improvement rounds part of the Store contract, for both stores, run inside the eval results
// contract (test/contract/evals.ts, same store): a round comes back as stored (its comparison and changes
// as JSON, its nulls as nulls), newest first, one role's only.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ImprovementRoundRecord, Store } from '../../src/store/types.js';

function round(over: Partial<ImprovementRoundRecord>): ImprovementRoundRecord {
  return {
    id: 'imp_x',
    role: 'contract-role',
    round: 1,
    baseVersion: 'v1',
    candidateVersion: 'v2',
    outcome: 'rejected',
    reason: 'not better: p = 0.5 ≥ 0.05',
    proposer: 'script:/abs/proposer.script.yaml',
    proposerRunId: 'run_1',
    rationale: 'ünïcødé "rationale"',
    changes: { instructions: 'Be careful.', tools: ['fs.read'] },
    activeEvalId: 'eval_1',
    candidateEvalId: 'eval_2',
    comparison: {
      pairs: 6,
      worse: 1,
      better: 2,
      pValue: 0.5,
      alpha: 0.05,
      activePassRate: 0.5,
      candidatePassRate: 0.6667,
      activeMeanScore: 0.75,
      candidateMeanScore: 0.8333,
      activeCostUsd: 0.0012,
      candidateCostUsd: 0.0014,
      activeMs: 12.5,
      candidateMs: 13.25,
      safetyRegressions: ['legal-threat'],
    },
    promotionId: null,
    costUsd: 0.0123,
    durationMs: 4321,
    createdAt: 1000,
    ...over,
  };
}

const invalid = round({
  id: 'imp_2',
  round: 2,
  candidateVersion: null,
  outcome: 'invalid',
  reason: 'changes.model may not be changed',
  proposerRunId: null,
  rationale: null,
  changes: null,
  activeEvalId: null,
  candidateEvalId: null,
  comparison: null,
  createdAt: 2000,
});

/** Writes the rounds the cases below read. */
export async function seedImprovementRounds(store: Store): Promise<void> {
  await store.putImprovementRound(round({ id: 'imp_1' }));
  await store.putImprovementRound(invalid);
  await store.putImprovementRound(
    round({ id: 'imp_3', outcome: 'promoted', promotionId: 'prm_1', createdAt: 3000 }),
  );
  await store.putImprovementRound(round({ id: 'imp_4', role: 'another-role', createdAt: 4000 }));
}

/** The cases, against a store seeded by seedImprovementRounds. */
export function improvementRoundsContract(storeOf: () => Store): void {
  it('gives a round back exactly as stored, nulls included', async () => {
    const all = await storeOf().listImprovementRounds({ role: 'contract-role' });
    assert.deepEqual(
      all.find((r) => r.id === 'imp_1'),
      round({ id: 'imp_1' }),
    );
    assert.deepEqual(
      all.find((r) => r.id === 'imp_2'),
      invalid,
    );
  });

  it("lists one role's rounds newest first and honours the limit", async () => {
    const ids = async (f: Parameters<Store['listImprovementRounds']>[0]) =>
      (await storeOf().listImprovementRounds(f)).map((r) => r.id);
    assert.deepEqual(await ids({ role: 'contract-role' }), ['imp_3', 'imp_2', 'imp_1']);
    assert.deepEqual(await ids({ role: 'contract-role', limit: 1 }), ['imp_3']);
    assert.deepEqual(await ids({ role: 'another-role' }), ['imp_4']);
    assert.deepEqual(await ids({ role: 'nobody' }), []);
  });

  it('replaces a round written again with its id (written as its eval starts, and as it ends)', async () => {
    const store = storeOf();
    const started = round({ id: 'imp_5', role: 'rewritten', outcome: 'stopped', reason: 'interrupted' });
    await store.putImprovementRound(started);
    const ended = { ...started, outcome: 'rejected' as const, reason: 'not better', durationMs: 9 };
    await store.putImprovementRound(ended);
    const mine = await store.listImprovementRounds({ role: 'rewritten' });
    assert.deepEqual(mine, [ended]);
  });
}
