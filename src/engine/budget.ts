// Budgets are checked before every model call; the time budget (`maxSeconds`) also before every tool call,
// and a tool call or model call still running when it runs out is stopped (drive.ts). Limits are the role's budget plus what humans granted
// when they answered earlier budget escalations; the daily cost budget is the role's, shared by its runs.

import { formatUsd } from '../models/pricing.js';
import type { Budget } from '../roles/schema.js';
import type { EscalationRecord, RunRecord } from '../store/types.js';

/** `steps` is model turns (`budget.maxSteps`, `run.turns`), not step-log rows: see docs/decisions/017. */
export type BudgetDimension = 'steps' | 'cost' | 'seconds' | 'cost_per_day';

export interface BudgetOverrun {
  dimension: BudgetDimension;
  limit: number;
  used: number;
}

export function budgetOverrun(run: RunRecord, budget: Budget, activeMs: number): BudgetOverrun | undefined {
  const maxTurns = budget.maxSteps + run.grant.steps;
  if (run.turns >= maxTurns) return { dimension: 'steps', limit: maxTurns, used: run.turns };
  const cost = budget.maxCostUsd + run.grant.costUsd;
  if (run.usage.costUsd >= cost) return { dimension: 'cost', limit: cost, used: run.usage.costUsd };
  return secondsOverrun(run, budget, activeMs);
}

/** The time budget alone: what is checked before each tool call. */
export function secondsOverrun(run: RunRecord, budget: Budget, activeMs: number): BudgetOverrun | undefined {
  const seconds = budget.maxSeconds + run.grant.seconds;
  if (activeMs / 1000 >= seconds) return { dimension: 'seconds', limit: seconds, used: activeMs / 1000 };
  return undefined;
}

/** Milliseconds of the time budget left (≤ 0 when spent): how long a tool call or model call may run. */
export function secondsLeftMs(run: RunRecord, budget: Budget, activeMs: number): number {
  return (budget.maxSeconds + run.grant.seconds) * 1000 - activeMs;
}

/** Midnight UTC of the day `now` falls in: where the daily cost budget starts counting. */
export function utcDayStart(now: number): number {
  return now - (((now % 86_400_000) + 86_400_000) % 86_400_000);
}

/**
 * Whether the role's runs together spent their daily budget: `spentToday` is the recorded cost of the role's
 * model turns since midnight UTC. A run whose daily-budget escalation a human answered goes on regardless (its
 * own per-run budget still holds): the answer was the decision to spend more today.
 */
export function dailyCostOverrun(
  budget: Budget,
  spentToday: number,
  escalations: Iterable<EscalationRecord>,
): BudgetOverrun | undefined {
  const limit = budget.maxCostUsdPerDay;
  if (limit === undefined || spentToday < limit) return undefined;
  for (const e of escalations) {
    if (e.source === 'budget' && e.status === 'answered' && e.context.dimension === 'cost_per_day')
      return undefined;
  }
  return { dimension: 'cost_per_day', limit, used: spentToday };
}

/**
 * Answering a budget escalation grants one more allotment of the dimension that ran out (nothing for the daily
 * cost budget: the answer lifts it for that run, see dailyCostOverrun), counted from what the run had used
 * when it stopped: a run can be past its limit by more than an allotment (an orchestrator's specialists'
 * turns and cost are added when they are joined, one expensive turn), and an answer that left it over the
 * limit would only raise the same escalation again.
 */
export function grantFor(
  overrun: { dimension: BudgetDimension; limit?: unknown; used?: unknown },
  budget: Budget,
): { steps: number; costUsd: number; seconds: number } {
  const { dimension, limit, used } = overrun;
  const past = typeof limit === 'number' && typeof used === 'number' && used > limit ? used - limit : 0;
  return {
    steps: dimension === 'steps' ? budget.maxSteps + past : 0,
    costUsd: dimension === 'cost' ? budget.maxCostUsd + past : 0,
    seconds: dimension === 'seconds' ? budget.maxSeconds + past : 0,
  };
}

export function describeOverrun(o: BudgetOverrun): string {
  if (o.dimension === 'cost_per_day')
    return `daily budget exceeded: the role's runs spent ${formatUsd(o.used)} of ${formatUsd(o.limit)} since midnight UTC`;
  // Enough digits that an amount over the limit reads as over it (formatUsd).
  const fmt = (n: number) => (o.dimension === 'cost' ? formatUsd(n) : String(Math.round(n * 100) / 100));
  const unit = o.dimension === 'steps' ? 'model steps' : o.dimension === 'cost' ? 'USD' : 'seconds';
  return `budget exceeded: ${fmt(o.used)} of ${fmt(o.limit)} ${unit}`;
}
