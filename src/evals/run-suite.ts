// runSuite: every case of a suite, `repeat` times, `concurrency` at a time, each in isolation
// (case-run.ts); judged (expectations.ts, grader.ts), tallied with a Wilson interval, compared with the
// baseline and stored against the role version. The CLI's `nightshift eval` and the improve loop call it.
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Clock, createIdSource, type IdSource, systemClock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { EvalCaseTally, EvalResultRecord } from '../store/types.js';
import { type BaselineStore, findBaseline, regressions } from './baseline.js';
import { sweepDeadCaseFolders } from './case-folders.js';
import { type CaseRunOptions, runCase } from './case-run.js';
import { type CostEstimate, estimateCost } from './estimate.js';
import { type Check, checkCase } from './expectations.js';
import { grade } from './grader.js';
import type { EvalCase, Suite } from './suite-file.js';
import { wilson } from './wilson.js';

export interface RunSuiteOptions extends CaseRunOptions {
  /** Where results are stored and the baseline read (the project's store). Unset: nothing stored. */
  store?: BaselineStore | undefined;
  /** Times each case runs (default 1). */
  repeat?: number | undefined;
  /** Case runs at once (default 1). */
  concurrency?: number | undefined;
  /** Overrides the suite's threshold. */
  threshold?: number | undefined;
  /** Refuse (BUDGET_EXCEEDED) when the estimate is over this, or unknown; stop starting cases once spent. */
  maxCostUsd?: number | undefined;
  /** Compare with this role version's last passing result instead of the previous version's. */
  baseline?: string | undefined;
  /** Only these cases (the improve loop runs `train` and `holdout` apart). */
  split?: 'train' | 'holdout' | undefined;
  /** Told the estimate before any case runs (the CLI prints it). */
  onEstimate?: ((estimate: CostEstimate) => void) | undefined;
  /** Told of each case run as it ends. */
  onCase?: ((result: CaseResult) => void) | undefined;
  clock?: Clock | undefined;
  ids?: IdSource | undefined;
  /**
   * The id to store the result under (default a new one). The improve loop names its candidate's eval in
   * the round it records before the eval starts, so an eval left behind by an interrupted loop is known
   * as a candidate's and never becomes a baseline.
   */
  resultId?: string | undefined;
}

export interface CaseResult {
  name: string;
  /** 1-based repeat. */
  attempt: number;
  safety: boolean;
  split: 'train' | 'holdout';
  passed: boolean;
  /** Mean of the checks' scores, 0..1. */
  score: number;
  /** The failed checks' reasons, joined; absent when passed. */
  reason?: string;
  checks: Check[];
  status: string;
  costUsd: number;
  durationMs: number;
}

export interface SuiteResult {
  role: string;
  roleVersion: string;
  suite: string;
  suiteHash: string;
  estimate: CostEstimate;
  runs: CaseResult[];
  cases: EvalCaseTally[];
  passRate: number;
  ci: { low: number; high: number };
  threshold: number;
  /** Safety cases that failed at least once: any fails the suite. */
  safetyFailures: string[];
  /** The pass rate met the threshold and no safety case failed. */
  passed: boolean;
  baseline: { id: string; roleVersion: string; passRate: number } | null;
  regressions: string[];
  /** What the exit code says: passed, and nothing regressed. */
  ok: boolean;
  costUsd: number;
  durationMs: number;
  /** The stored record, when a store was given. */
  stored: EvalResultRecord | null;
  /**
   * Set when only one split's cases ran (`split` option, `eval --split`): a partial result, never a
   * baseline nor a version's latest eval. Absent: the whole suite ran.
   */
  split?: 'train' | 'holdout' | undefined;
}

/** Runs `tasks` with at most `limit` at once, in order of start. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function judged(
  c: EvalCase,
  attempt: number,
  checks: Check[],
  status: string,
  costUsd: number,
  durationMs: number,
) {
  const failed = checks.filter((x) => !x.ok);
  const result: CaseResult = {
    name: c.name,
    attempt,
    safety: c.safety,
    split: c.split,
    passed: failed.length === 0,
    score: checks.reduce((s, x) => s + x.score, 0) / Math.max(1, checks.length),
    checks,
    status,
    costUsd,
    durationMs,
  };
  if (failed.length > 0) result.reason = failed.map((x) => `${x.what}: ${x.reason}`).join('; ');
  return result;
}

async function runOne(role: Role, c: EvalCase, attempt: number, o: RunSuiteOptions): Promise<CaseResult> {
  const seen = await runCase(role, c, o);
  const checks = checkCase(c.expect, seen);
  let cost = seen.costUsd;
  if (c.grader) {
    const judgement = await grade(c.grader, c.input, seen.output, o);
    checks.push(judgement.check);
    cost += judgement.costUsd;
  }
  return judged(c, attempt, checks, seen.status, cost, seen.durationMs);
}

function tally(cases: readonly EvalCase[], runs: readonly CaseResult[]): EvalCaseTally[] {
  return cases.map((c) => {
    const mine = runs.filter((r) => r.name === c.name);
    return {
      name: c.name,
      safety: c.safety,
      split: c.split,
      runs: mine.length,
      passes: mine.filter((r) => r.passed).length,
      score: mine.reduce((s, r) => s + r.score, 0) / Math.max(1, mine.length),
    };
  });
}

/**
 * Evaluates `role` on `suite`. Throws BUDGET_EXCEEDED before running anything when `maxCostUsd` is set
 * and the estimate is over it or unknown.
 *
 * @example
 * const role = await loadRoleFile('roles/refund-desk.yaml');
 * const result = await runSuite(role, loadSuite('roles/refund-desk.evals.yaml'), { repeat: 3, store });
 * if (!result.ok) console.log(result.runs.filter((r) => !r.passed).map((r) => r.reason));
 */
export async function runSuite(role: Role, suite: Suite, o: RunSuiteOptions = {}): Promise<SuiteResult> {
  const repeat = o.repeat ?? 1;
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new NightshiftError('USAGE', `repeat must be a whole number ≥ 1, got ${repeat}`);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new NightshiftError('USAGE', `concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const cases = suite.cases.filter((c) => o.split === undefined || c.split === o.split);
  // A split with no cases would run nothing and store a 0/0 "failed" result: it is a wrong --split.
  if (o.split !== undefined && cases.length === 0)
    throw new NightshiftError(
      'USAGE',
      `--split ${o.split}: suite ${suite.name} has no ${o.split} cases (a case's split: is train unless it says holdout); nothing was run`,
    );
  const estimate = estimateCost(role, suite, cases, repeat, o.models?.prices);
  o.onEstimate?.(estimate);
  if (o.maxCostUsd !== undefined) {
    if (estimate.unpriced.length > 0)
      throw new NightshiftError(
        'BUDGET_EXCEEDED',
        `cannot estimate the cost of suite ${suite.name}: no price is known for ${estimate.unpriced.join(', ')} (set one under models.prices in nightshift.config.yaml); refusing with --max-cost ${o.maxCostUsd}`,
      );
    if (estimate.usd > o.maxCostUsd)
      throw new NightshiftError(
        'BUDGET_EXCEEDED',
        `suite ${suite.name} is estimated at ${estimate.usd.toFixed(4)} USD, over --max-cost ${o.maxCostUsd}; nothing was run`,
        { details: { estimateUsd: estimate.usd, maxCostUsd: o.maxCostUsd } },
      );
  }
  // A baseline named by the caller (`--baseline`) is checked before any case runs: a wrong version is bad
  // input, and finding it out after the suite ran would throw away what the runs cost.
  const named =
    o.store && o.baseline !== undefined
      ? await findBaseline(o.store, {
          role: role.name,
          suite: suite.name,
          roleVersion: role.version,
          baseline: o.baseline,
        })
      : undefined;
  // Case folders an earlier eval left when it was killed mid-case (case-folders.ts): only a dead maker's.
  sweepDeadCaseFolders(o.tmpRoot ?? tmpdir());
  const clock = o.clock ?? systemClock;
  const started = performance.now();
  let spent = 0;
  const tasks = cases.flatMap((c) =>
    Array.from({ length: repeat }, (_, i) => async () => {
      // The estimate can be wrong: once the budget is spent, the remaining case runs are not started.
      // Reaching it exactly stops only a suite that costs something: a free one (a scripted model,
      // estimated at 0) runs whole under --max-cost 0, as the estimate check above let it.
      if (
        o.maxCostUsd !== undefined &&
        (spent > o.maxCostUsd || (spent === o.maxCostUsd && estimate.usd > 0))
      ) {
        const check: Check = {
          what: 'budget',
          ok: false,
          score: 0,
          reason: `not run: --max-cost ${o.maxCostUsd} USD spent`,
        };
        return judged(c, i + 1, [check], 'not_run', 0, 0);
      }
      const result = await runOne(role, c, i + 1, o);
      spent += result.costUsd;
      o.onCase?.(result);
      return result;
    }),
  );
  const runs = await pool(tasks, concurrency);
  const passes = runs.filter((r) => r.passed).length;
  const passRate = runs.length === 0 ? 0 : passes / runs.length;
  const threshold = o.threshold ?? suite.threshold;
  const cases_ = tally(cases, runs);
  const safetyFailures = cases_.filter((c) => c.safety && c.passes < c.runs).map((c) => c.name);
  const passed = passRate >= threshold && safetyFailures.length === 0;
  const baseline = named
    ? named
    : o.store
      ? await findBaseline(o.store, {
          role: role.name,
          suite: suite.name,
          roleVersion: role.version,
          baseline: o.baseline,
        })
      : null;
  const regressed = regressions(baseline, cases_);
  const ci = wilson(passes, runs.length);
  const costUsd = runs.reduce((s, r) => s + r.costUsd, 0);
  const durationMs = performance.now() - started;
  let stored: EvalResultRecord | null = null;
  if (o.store) {
    stored = {
      id: o.resultId ?? (o.ids ?? createIdSource(clock)).next('eval'),
      role: role.name,
      roleVersion: role.version,
      suite: suite.name,
      suiteHash: suite.hash,
      // Stored as the verdict the eval exits with: a result that regressed is no state anyone accepted,
      // and stored as passed it became the next version's baseline, so the same regression then passed.
      passed: passed && regressed.length === 0,
      passRate,
      ciLow: ci.low,
      ciHigh: ci.high,
      repeat,
      costUsd,
      durationMs: Math.round(durationMs),
      cases: cases_,
      ...(o.split !== undefined ? { split: o.split } : {}),
      createdAt: clock.now(),
    };
    await o.store.putEvalResult(stored);
  }
  return {
    role: role.name,
    roleVersion: role.version,
    suite: suite.name,
    suiteHash: suite.hash,
    estimate,
    runs,
    cases: cases_,
    passRate,
    ci,
    threshold,
    safetyFailures,
    passed,
    baseline: baseline
      ? { id: baseline.id, roleVersion: baseline.roleVersion, passRate: baseline.passRate }
      : null,
    regressions: regressed,
    ok: passed && regressed.length === 0,
    costUsd,
    durationMs,
    stored,
    ...(o.split !== undefined ? { split: o.split } : {}),
  };
}
