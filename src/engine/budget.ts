// Budgets are checked before every model call. Limits are the role's budget plus what humans granted
// when they answered earlier budget escalations.
import type { Budget } from '../roles/schema.js';
import type { RunRecord } from '../store/types.js';

export type BudgetDimension = 'steps' | 'cost' | 'seconds';

export interface BudgetOverrun {
  dimension: BudgetDimension;
  limit: number;
  used: number;
}

export function budgetOverrun(run: RunRecord, budget: Budget, activeMs: number): BudgetOverrun | undefined {
  const steps = budget.maxSteps + run.grant.steps;
  if (run.turns >= steps) return { dimension: 'steps', limit: steps, used: run.turns };
  const cost = budget.maxCostUsd + run.grant.costUsd;
  if (run.usage.costUsd >= cost) return { dimension: 'cost', limit: cost, used: run.usage.costUsd };
  const seconds = budget.maxSeconds + run.grant.seconds;
  if (activeMs / 1000 >= seconds) return { dimension: 'seconds', limit: seconds, used: activeMs / 1000 };
  return undefined;
}

/** Answering a budget escalation grants one more allotment of the dimension that ran out. */
export function grantFor(
  dimension: BudgetDimension,
  budget: Budget,
): { steps: number; costUsd: number; seconds: number } {
  return {
    steps: dimension === 'steps' ? budget.maxSteps : 0,
    costUsd: dimension === 'cost' ? budget.maxCostUsd : 0,
    seconds: dimension === 'seconds' ? budget.maxSeconds : 0,
  };
}

export function describeOverrun(o: BudgetOverrun): string {
  const fmt = (n: number) =>
    o.dimension === 'cost' ? `$${n.toFixed(4)}` : String(Math.round(n * 100) / 100);
  const unit = o.dimension === 'steps' ? 'model steps' : o.dimension === 'cost' ? 'USD' : 'seconds';
  return `budget exceeded: ${fmt(o.used)} of ${fmt(o.limit)} ${unit}`;
}
