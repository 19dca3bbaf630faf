// The improve loop's verdict (decision 037), table-driven: the exact sign test's tail, and how safety,
// cost and the discordant pairs decide, on hand-made case runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CaseResult } from '../../src/evals/run-suite.js';
import { compareRuns, signTestP } from '../../src/improve/compare.js';

function runs(spec: string, o: { safety?: string[]; costUsd?: number } = {}): CaseResult[] {
  // "a:PPF b:FF": case a passed, passed, failed over three repeats; case b failed twice.
  return spec.split(' ').flatMap((part) => {
    const [name, outcomes] = part.split(':') as [string, string];
    return [...outcomes].map((x, i) => ({
      name,
      attempt: i + 1,
      safety: o.safety?.includes(name) ?? false,
      split: 'train' as const,
      passed: x === 'P',
      score: x === 'P' ? 1 : 0.5,
      checks: [],
      status: 'succeeded',
      costUsd: o.costUsd ?? 0,
      durationMs: 10,
    }));
  });
}

describe('signTestP', () => {
  for (const [k, n, p] of [
    [0, 0, 1],
    [4, 4, 1 / 16],
    [5, 5, 1 / 32],
    [5, 6, 7 / 64],
    [3, 6, 42 / 64],
    [0, 3, 1],
  ] as const)
    it(`P(X ≥ ${k} | Bin(${n}, ½)) = ${p}`, () => assert.ok(Math.abs(signTestP(k, n) - p) < 1e-12));

  // Past ~1,020 discordant pairs C(n, i) and 2^n overflow a double; the exact values are from Python's
  // fractions (sum of comb(n, i) over 2**n), compared to a relative 1e-9.
  for (const [k, n, p] of [
    [600, 1100, 0.0014097724957182138],
    [1000, 2000, 0.5089195055729272],
    [1050, 2000, 0.013412073120140347],
    [1100, 2000, 4.228544767751963e-6],
    [2000, 2000, 0],
  ] as const)
    it(`P(X ≥ ${k} | Bin(${n}, ½)) = ${p} (large n)`, () => {
      const got = signTestP(k, n);
      assert.ok(Number.isFinite(got), `got ${got}`);
      assert.ok(Math.abs(got - p) <= 1e-9 * Math.max(p, 1e-300), `got ${got}, want ${p}`);
    });
});

describe('compareRuns', () => {
  it('calls 5 better pairs and none worse better (p = 1/32 < 0.05)', () => {
    const v = compareRuns(runs('a:FFFFF b:PPPPP'), runs('a:PPPPP b:PPPPP'));
    assert.equal(v.better, true, v.reason);
    assert.deepEqual([v.comparison.better, v.comparison.worse, v.comparison.pairs], [5, 0, 10]);
  });

  it('does not call 4 better pairs better: too few to be evidence (p = 1/16)', () => {
    const v = compareRuns(runs('a:FFFF'), runs('a:PPPP'));
    assert.equal(v.better, false);
    assert.match(
      v.reason,
      /^not better: 4 better, 0 worse of 4 paired runs, one-sided sign test p = 0\.0625/,
    );
  });

  it('blocks a safety regression in one repeat whatever the gain elsewhere', () => {
    const v = compareRuns(
      runs('a:FFFFFF s:PPPPPP', { safety: ['s'] }),
      runs('a:PPPPPP s:PPPPPF', { safety: ['s'] }),
    );
    assert.equal(v.better, false);
    assert.deepEqual(v.comparison.safetyRegressions, ['s']);
    assert.ok(v.comparison.candidateMeanScore > v.comparison.activeMeanScore);
  });

  it('never promotes a candidate that fails a safety case, even one the active version failed too', () => {
    const v = compareRuns(runs('a:FFFFFF s:FF', { safety: ['s'] }), runs('a:PPPPPP s:FF', { safety: ['s'] }));
    assert.equal(v.better, false, v.reason);
    // Not a regression (the active version never passed it), but a failure all the same.
    assert.deepEqual(v.comparison.safetyRegressions, []);
    assert.deepEqual(v.comparison.safetyFailures, ['s']);
    assert.match(
      v.reason,
      /^safety case s failed on the candidate \(the active version did not pass it either\)/,
    );
  });

  it('blocks a candidate whose safety case fails in one repeat of many, as the active version did', () => {
    const v = compareRuns(
      runs('a:FFFFFF s:PPF', { safety: ['s'] }),
      runs('a:PPPPPP s:PPF', { safety: ['s'] }),
    );
    assert.equal(v.better, false, v.reason);
    assert.deepEqual(v.comparison.safetyFailures, ['s']);
  });

  it('promotes a better candidate that passes every safety case the active version failed', () => {
    const v = compareRuns(runs('a:FFFFFF s:FF', { safety: ['s'] }), runs('a:PPPPPP s:PP', { safety: ['s'] }));
    assert.equal(v.better, true, v.reason);
    assert.deepEqual(v.comparison.safetyFailures, []);
  });

  it('rejects a better candidate that costs more than the ceiling', () => {
    const v = compareRuns(runs('a:FFFFFF', { costUsd: 0.01 }), runs('a:PPPPPP', { costUsd: 0.013 }));
    assert.equal(v.better, false);
    assert.match(v.reason, /over 1\.2× the active version's/);
    assert.equal(
      compareRuns(runs('a:FFFFFF', { costUsd: 0.01 }), runs('a:PPPPPP', { costUsd: 0.012 })).better,
      true,
    );
  });
});
