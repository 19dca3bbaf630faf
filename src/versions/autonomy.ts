// `nightshift autonomy <role>`: whether the role's record supports moving it up or down a rung. Pure: the
// evidence (gathered by evidence.ts) and the thresholds in, a suggestion with every check out. It only
// suggests; changing the rung is a new role version and a promotion, which a person grants when it widens.
import { AUTONOMY_LEVELS, type Autonomy } from '../domain.js';
import type { AutonomyThresholds } from './config.js';

export interface AutonomyEvidence {
  /** Runs that ended (succeeded, failed, cancelled) and how many of them failed. */
  finishedRuns: number;
  failedRuns: number;
  /** Change sets approved as drafted, and rejected. */
  approved: number;
  rejected: number;
  /** Escalations answered, and how many of them let the held call go ahead. */
  answered: number;
  goAhead: number;
  /** Tool calls the policy decided, and how many it denied. */
  decidedCalls: number;
  deniedCalls: number;
  /** The version's latest eval over its suites (each suite's newest whole-suite eval), when kept. */
  eval?: { passed: boolean; passRate: number; safetyFailures: number } | undefined;
}

export interface AutonomyCheck {
  /** What is measured, in words. */
  check: string;
  value: number | null;
  threshold: number;
  /** A share (0..1) rather than a count. */
  rate: boolean;
  ok: boolean;
}

export interface AutonomySuggestion {
  current: Autonomy;
  /** `up` / `down` a rung, or `stay`. */
  move: 'up' | 'down' | 'stay';
  to: Autonomy;
  why: string;
  up: AutonomyCheck[];
  down: AutonomyCheck[];
}

const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

export function suggestAutonomy(
  current: Autonomy,
  e: AutonomyEvidence,
  t: AutonomyThresholds,
): AutonomySuggestion {
  const rung = AUTONOMY_LEVELS.indexOf(current);
  const decisions = e.approved + e.rejected + e.answered;
  const approval = rate(e.approved, e.approved + e.rejected);
  const rejection = rate(e.rejected, e.approved + e.rejected);
  const goAhead = rate(e.goAhead, e.answered);
  const denial = rate(e.deniedCalls, e.decidedCalls);
  const failure = rate(e.failedRuns, e.finishedRuns);
  // A rate with nothing to measure passes an "at most" check and fails an "at least" one, except where
  // the rung makes it impossible to measure (no drafts at observe): then it does not count against up.
  const atLeast = (
    check: string,
    v: number | null,
    threshold: number,
    o: { rate: boolean; vacuous?: boolean },
  ): AutonomyCheck => ({
    check,
    value: v,
    threshold,
    rate: o.rate,
    ok: v === null ? o.vacuous === true : v >= threshold,
  });
  const atMost = (check: string, v: number | null, threshold: number): AutonomyCheck => ({
    check,
    value: v,
    threshold,
    rate: true,
    ok: v === null || v <= threshold,
  });
  const up: AutonomyCheck[] = [
    atLeast('finished runs', e.finishedRuns, t.minRuns, { rate: false }),
    atLeast('human decisions (change sets decided + escalations answered)', decisions, t.minDecisions, {
      rate: false,
      vacuous: current === 'observe',
    }),
    atLeast('change sets approved as drafted', approval, t.upApprovalRate, {
      rate: true,
      vacuous: current !== 'draft',
    }),
    atLeast('escalations answered "go ahead"', goAhead, t.upGoAheadRate, { rate: true, vacuous: true }),
    atMost('tool calls denied', denial, t.upMaxDenialRate),
    atMost('runs failed', failure, t.upMaxFailureRate),
  ];
  if (e.eval) {
    up.push({
      check: 'latest eval passed',
      value: e.eval.passed ? 1 : 0,
      threshold: 1,
      rate: false,
      ok: e.eval.passed,
    });
    up.push({
      check: 'safety cases failed in latest eval',
      value: e.eval.safetyFailures,
      threshold: 0,
      rate: false,
      ok: e.eval.safetyFailures === 0,
    });
  }
  // Down checks are "triggered" (ok: true) when the record crosses them.
  const crosses = (check: string, v: number | null, threshold: number): AutonomyCheck => ({
    check,
    value: v,
    threshold,
    rate: true,
    ok: v !== null && v >= threshold,
  });
  const down: AutonomyCheck[] = [
    crosses('change sets rejected', rejection, t.downRejectionRate),
    crosses('tool calls denied', denial, t.downDenialRate),
    crosses('runs failed', failure, t.downFailureRate),
  ];
  if (e.eval)
    down.push({
      check: 'safety cases failed in latest eval',
      value: e.eval.safetyFailures,
      threshold: 1,
      rate: false,
      ok: e.eval.safetyFailures >= 1,
    });
  const enough = e.finishedRuns >= t.minRuns;
  const lower = AUTONOMY_LEVELS[rung - 1];
  const higher = AUTONOMY_LEVELS[rung + 1];
  // A failed safety case moves down on any amount of evidence; the rates need enough runs to mean anything.
  const safety = down.find((c) => c.check.startsWith('safety') && c.ok);
  const crossed = down.filter((c) => c.ok);
  if (lower && (safety || (enough && crossed.length > 0)))
    return {
      current,
      move: 'down',
      to: lower,
      why: `crossed: ${(safety ? [safety] : crossed).map((c) => c.check).join(', ')}`,
      up,
      down,
    };
  if (higher && up.every((c) => c.ok))
    return { current, move: 'up', to: higher, why: 'every check for moving up passes', up, down };
  const failing = up.filter((c) => !c.ok).map((c) => c.check);
  const why = !higher ? `${current} is the highest rung` : `not yet: ${failing.join(', ')}`;
  return { current, move: 'stay', to: current, why, up, down };
}
