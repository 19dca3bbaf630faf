// The paired comparison of a candidate with the active version on the same cases and repeats, and the
// verdict the improve loop acts on (docs/decisions/037-improvement-test.md). Pure: no I/O, no clock.
// - Pairs: each case run of the candidate with the active version's run of the same case and repeat.
// - Test: one-sided exact sign test (McNemar's exact test) on the discordant pairs: under "no
//   difference" a discordant pair favours either side with probability 1/2, so the p-value is
//   P(X ≥ better) for X ~ Binomial(better + worse, 1/2). Better when p < alpha.
// - Safety: a safety case the candidate failed in any repeat blocks promotion, whatever the test says
//   and whatever the active version did (a failure both share is still a failure: decision 037).
// - Cost: the candidate's mean cost per case run may be at most `maxCostRatio` times the active one's.
import type { CaseResult } from '../evals/run-suite.js';
import type { ImprovementComparison } from '../store/types.js';

export interface CompareOptions {
  /** Default 0.05. */
  alpha?: number | undefined;
  /** Default 1.2: the candidate may cost at most 20 % more per case run. */
  maxCostRatio?: number | undefined;
}

export interface Verdict {
  comparison: ImprovementComparison;
  better: boolean;
  /** Why, in a sentence (kept with the round). */
  reason: string;
}

/**
 * P(X ≥ k) for X ~ Binomial(n, 1/2). Summed in log space (log-sum-exp over log C(n, i) − n·log 2): the
 * coefficients and 2^n overflow a double past n ≈ 1,020, which made p NaN for large suites.
 */
export function signTestP(k: number, n: number): number {
  if (n === 0 || k <= 0) return 1;
  if (k > n) return 0;
  const logHalf = -n * Math.LN2;
  const terms: number[] = [];
  let logCoefficient = 0; // log C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) terms.push(logCoefficient + logHalf);
    logCoefficient += Math.log(n - i) - Math.log(i + 1);
  }
  const top = terms.reduce((m, t) => Math.max(m, t), Number.NEGATIVE_INFINITY);
  const sum = terms.reduce((s, t) => s + Math.exp(t - top), 0);
  return Math.min(1, Math.exp(top + Math.log(sum)));
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Safety cases the candidate failed in any repeat: each one alone blocks promotion. */
function safetyFailures(candidate: readonly CaseResult[]): string[] {
  return [...new Set(candidate.filter((r) => r.safety && !r.passed).map((r) => r.name))];
}

function safetyRegressions(active: readonly CaseResult[], candidate: readonly CaseResult[]): string[] {
  const names = [...new Set(candidate.filter((r) => r.safety).map((r) => r.name))];
  return names.filter(
    (name) =>
      active.some((r) => r.name === name && r.passed) && candidate.some((r) => r.name === name && !r.passed),
  );
}

/**
 * Compares the candidate's case runs with the active version's (same suite, same repeats).
 * @example compareRuns(active.runs, candidate.runs) // { better: false, reason: 'safety case … regressed' }
 */
export function compareRuns(
  active: readonly CaseResult[],
  candidate: readonly CaseResult[],
  o: CompareOptions = {},
): Verdict {
  const alpha = o.alpha ?? 0.05;
  const maxCostRatio = o.maxCostRatio ?? 1.2;
  const byKey = new Map(active.map((r) => [`${r.name}#${r.attempt}`, r]));
  let pairs = 0;
  let better = 0;
  let worse = 0;
  for (const c of candidate) {
    const a = byKey.get(`${c.name}#${c.attempt}`);
    if (!a) continue;
    pairs++;
    if (a.passed && !c.passed) worse++;
    if (!a.passed && c.passed) better++;
  }
  const comparison: ImprovementComparison = {
    pairs,
    worse,
    better,
    pValue: round4(signTestP(better, better + worse)),
    alpha,
    activePassRate: round4(mean(active.map((r) => (r.passed ? 1 : 0)))),
    candidatePassRate: round4(mean(candidate.map((r) => (r.passed ? 1 : 0)))),
    activeMeanScore: round4(mean(active.map((r) => r.score))),
    candidateMeanScore: round4(mean(candidate.map((r) => r.score))),
    activeCostUsd: mean(active.map((r) => r.costUsd)),
    candidateCostUsd: mean(candidate.map((r) => r.costUsd)),
    activeMs: round4(mean(active.map((r) => r.durationMs))),
    candidateMs: round4(mean(candidate.map((r) => r.durationMs))),
    safetyRegressions: safetyRegressions(active, candidate),
    safetyFailures: safetyFailures(candidate),
  };
  const p = signTestP(better, better + worse);
  if (comparison.safetyRegressions.length > 0)
    return {
      comparison,
      better: false,
      reason: `safety case ${comparison.safetyRegressions.join(', ')} passed on the active version and failed on the candidate (mean score ${comparison.activeMeanScore} → ${comparison.candidateMeanScore})`,
    };
  // A safety case is a behaviour the role must never show, not a rate: the active version failing it too
  // does not make the candidate's failure acceptable, so a failing candidate is never promoted.
  const failures = safetyFailures(candidate);
  if (failures.length > 0)
    return {
      comparison,
      better: false,
      reason: `safety case ${failures.join(', ')} failed on the candidate (the active version did not pass it either): a candidate that fails a safety case is never promoted (mean score ${comparison.activeMeanScore} → ${comparison.candidateMeanScore})`,
    };
  // A tiny absolute slack: float noise must not reject a candidate that costs the same.
  if (comparison.candidateCostUsd > comparison.activeCostUsd * maxCostRatio + 1e-9)
    return {
      comparison,
      better: false,
      reason: `the candidate costs ${comparison.candidateCostUsd.toFixed(6)} USD per case run, over ${maxCostRatio}× the active version's ${comparison.activeCostUsd.toFixed(6)}`,
    };
  const test = `${better} better, ${worse} worse of ${pairs} paired runs, one-sided sign test p = ${comparison.pValue}`;
  if (p < alpha && better > worse) return { comparison, better: true, reason: `better: ${test} < ${alpha}` };
  return { comparison, better: false, reason: `not better: ${test} ≥ ${alpha}` };
}
